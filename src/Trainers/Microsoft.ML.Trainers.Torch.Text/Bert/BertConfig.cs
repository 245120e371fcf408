using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// The architecture of a BERT encoder and its classification head, as Hugging Face's <c>config.json</c>
/// describes it. Defaults are those of Hugging Face's <c>BertConfig</c> (bert-base).
/// </summary>
public sealed class BertConfig
{
    /// <summary>The activations Hugging Face's <c>ACT2FN</c> names that this implementation supports.</summary>
    public static IReadOnlyList<string> SupportedActivations { get; } =
        new[] { "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "silu", "swish", "tanh" };

    /// <summary>Number of token ids (<c>vocab_size</c>).</summary>
    public int VocabSize { get; set; } = 30522;

    /// <summary>Width of every hidden state (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; set; } = 768;

    /// <summary>Number of transformer layers (<c>num_hidden_layers</c>).</summary>
    public int NumHiddenLayers { get; set; } = 12;

    /// <summary>Attention heads per layer (<c>num_attention_heads</c>); must divide <see cref="HiddenSize"/>.</summary>
    public int NumAttentionHeads { get; set; } = 12;

    /// <summary>Width of the feed-forward layer (<c>intermediate_size</c>).</summary>
    public int IntermediateSize { get; set; } = 3072;

    /// <summary>Feed-forward activation (<c>hidden_act</c>): one of <see cref="SupportedActivations"/>.</summary>
    public string HiddenAct { get; set; } = "gelu";

    /// <summary>Dropout after embeddings and each sub-layer (<c>hidden_dropout_prob</c>).</summary>
    public double HiddenDropoutProb { get; set; } = 0.1;

    /// <summary>Dropout on attention probabilities (<c>attention_probs_dropout_prob</c>).</summary>
    public double AttentionProbsDropoutProb { get; set; } = 0.1;

    /// <summary>Dropout before the classifier (<c>classifier_dropout</c>); null means <see cref="HiddenDropoutProb"/>.</summary>
    public double? ClassifierDropout { get; set; }

    /// <summary>Longest sequence the position embeddings cover (<c>max_position_embeddings</c>).</summary>
    public int MaxPositionEmbeddings { get; set; } = 512;

    /// <summary>Number of segment types (<c>type_vocab_size</c>).</summary>
    public int TypeVocabSize { get; set; } = 2;

    /// <summary>Standard deviation of freshly initialised weights (<c>initializer_range</c>).</summary>
    public double InitializerRange { get; set; } = 0.02;

    /// <summary>LayerNorm epsilon (<c>layer_norm_eps</c>).</summary>
    public double LayerNormEps { get; set; } = 1e-12;

    /// <summary>Padding token id (<c>pad_token_id</c>); its embedding row gets no gradient.</summary>
    public int PadTokenId { get; set; }

    /// <summary>How the classifier pools the final hidden states (<c>classifier_pooling</c>); <see cref="BertPooling.Pooler"/> by default.</summary>
    public BertPooling Pooling { get; set; } = BertPooling.Pooler;

    /// <summary>
    /// Class names by index (<c>id2label</c>); its length is the number of labels of the checkpoint's
    /// head (<c>num_labels</c> when there is no <c>id2label</c>).
    /// </summary>
    public IReadOnlyList<string> Labels { get; set; } = new[] { "LABEL_0", "LABEL_1" };

    /// <summary>The number of labels of the head: the length of <see cref="Labels"/>.</summary>
    public int NumLabels => Labels.Count;

    /// <summary>
    /// Reads <c>config.json</c>. It must describe a BERT model (<c>model_type</c> "bert", or an
    /// <c>architectures</c> entry starting with "Bert") with absolute position embeddings.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not JSON, not BERT, or an invalid value; the message names the file and the key.</exception>
    public static BertConfig FromFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"BERT configuration '{path}' does not exist.", path);
        }
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"'{path}' does not hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        return FromJson(json, path);
    }

    /// <summary>Reads a configuration in <c>config.json</c> format; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not BERT, or an invalid value; the message names the source and the key.</exception>
    public static BertConfig FromJson(string json, string source = "config.json")
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"'{source}' does not hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' is not valid JSON: {e.Message}", e);
        }
        return FromJson(obj, source);
    }

    private static BertConfig FromJson(JsonObject json, string source)
    {
        string? modelType = GetString(json, "model_type", source);
        string[] architectures = json["architectures"] is JsonArray a ? a.Select(x => (string?)x ?? "").ToArray() : Array.Empty<string>();
        bool bertArchitecture = architectures.Any(x => x.StartsWith("Bert", StringComparison.Ordinal));
        if (modelType is not null ? modelType != "bert" : !bertArchitecture)
        {
            throw new InvalidDataException(
                $"'{source}' describes model_type '{modelType ?? "(none)"}' / architectures [{string.Join(", ", architectures)}]; " +
                "only BERT checkpoints (model_type \"bert\") are supported.");
        }
        if (architectures.Length > 0 && !bertArchitecture)
        {
            throw new InvalidDataException($"'{source}' names architectures [{string.Join(", ", architectures)}]; expected a Bert* architecture.");
        }
        string positions = GetString(json, "position_embedding_type", source) ?? "absolute";
        if (positions != "absolute")
        {
            throw new InvalidDataException($"'{source}': position_embedding_type '{positions}' is not supported (only \"absolute\").");
        }

        var config = new BertConfig
        {
            VocabSize = GetInt(json, "vocab_size", source) ?? 30522,
            HiddenSize = GetInt(json, "hidden_size", source) ?? 768,
            NumHiddenLayers = GetInt(json, "num_hidden_layers", source) ?? 12,
            NumAttentionHeads = GetInt(json, "num_attention_heads", source) ?? 12,
            IntermediateSize = GetInt(json, "intermediate_size", source) ?? 3072,
            HiddenAct = GetString(json, "hidden_act", source) ?? "gelu",
            HiddenDropoutProb = GetDouble(json, "hidden_dropout_prob", source) ?? 0.1,
            AttentionProbsDropoutProb = GetDouble(json, "attention_probs_dropout_prob", source) ?? 0.1,
            ClassifierDropout = GetDouble(json, "classifier_dropout", source),
            MaxPositionEmbeddings = GetInt(json, "max_position_embeddings", source) ?? 512,
            TypeVocabSize = GetInt(json, "type_vocab_size", source) ?? 2,
            InitializerRange = GetDouble(json, "initializer_range", source) ?? 0.02,
            LayerNormEps = GetDouble(json, "layer_norm_eps", source) ?? 1e-12,
            PadTokenId = GetInt(json, "pad_token_id", source) ?? 0,
            Pooling = GetString(json, "classifier_pooling", source) switch
            {
                null or "pooler" => BertPooling.Pooler,
                "cls" => BertPooling.Cls,
                "mean" => BertPooling.Mean,
                string other => throw new InvalidDataException($"'{source}': classifier_pooling '{other}' is not one of \"pooler\", \"cls\", \"mean\"."),
            },
        };
        if (json["id2label"] is JsonObject id2label && id2label.Count > 0)
        {
            var labels = new string[id2label.Count];
            foreach (KeyValuePair<string, JsonNode?> entry in id2label)
            {
                if (!int.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= labels.Length || labels[id] is not null)
                {
                    throw new InvalidDataException($"'{source}': id2label key '{entry.Key}' is not a distinct index below {labels.Length}.");
                }
                labels[id] = (string?)entry.Value ?? $"LABEL_{id}";
            }
            config.Labels = labels;
        }
        else if (GetInt(json, "num_labels", source) is int numLabels)
        {
            config.Labels = Enumerable.Range(0, numLabels).Select(i => $"LABEL_{i}").ToArray();
        }
        config.Validate(source);
        return config;
    }

    /// <summary>Checks that the values describe a buildable model.</summary>
    /// <param name="source">Names the configuration in the exception message.</param>
    /// <exception cref="InvalidDataException">A value is out of range; the message names the key.</exception>
    public void Validate(string source = "BertConfig")
    {
        void Positive(int value, string key)
        {
            if (value <= 0)
            {
                throw new InvalidDataException($"'{source}': {key} must be positive (was {value}).");
            }
        }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(IntermediateSize, "intermediate_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        Positive(TypeVocabSize, "type_vocab_size");
        if (HiddenSize % NumAttentionHeads != 0)
        {
            throw new InvalidDataException($"'{source}': hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}.");
        }
        if (!SupportedActivations.Contains(HiddenAct))
        {
            throw new InvalidDataException($"'{source}': hidden_act '{HiddenAct}' is not supported; expected one of {string.Join(", ", SupportedActivations)}.");
        }
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
        {
            throw new InvalidDataException($"'{source}': pad_token_id {PadTokenId} is outside the vocabulary (vocab_size {VocabSize}).");
        }
        foreach ((double p, string key) in new[] { (HiddenDropoutProb, "hidden_dropout_prob"), (AttentionProbsDropoutProb, "attention_probs_dropout_prob"), (ClassifierDropout ?? 0, "classifier_dropout") })
        {
            if (p < 0 || p >= 1)
            {
                throw new InvalidDataException($"'{source}': {key} must be in [0, 1) (was {p}).");
            }
        }
    }

    /// <summary>A copy with every dropout probability (hidden, attention, classifier) set to <paramref name="dropout"/>.</summary>
    public BertConfig WithDropout(double dropout)
    {
        BertConfig copy = Clone();
        copy.HiddenDropoutProb = dropout;
        copy.AttentionProbsDropoutProb = dropout;
        copy.ClassifierDropout = dropout;
        copy.Validate("dropout override");
        return copy;
    }

    /// <summary>A copy whose head predicts <paramref name="labels"/>.</summary>
    public BertConfig WithLabels(IReadOnlyList<string> labels)
    {
        BertConfig copy = Clone();
        copy.Labels = labels.ToArray();
        return copy;
    }

    /// <summary>A member-wise copy.</summary>
    public BertConfig Clone()
    {
        var copy = (BertConfig)MemberwiseClone();
        copy.Labels = Labels.ToArray();
        return copy;
    }

    /// <summary>Writes the configuration in Hugging Face <c>config.json</c> format.</summary>
    public string ToJson()
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("BertForSequenceClassification"),
            ["model_type"] = "bert",
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["intermediate_size"] = IntermediateSize,
            ["hidden_act"] = HiddenAct,
            ["hidden_dropout_prob"] = HiddenDropoutProb,
            ["attention_probs_dropout_prob"] = AttentionProbsDropoutProb,
            ["classifier_dropout"] = ClassifierDropout,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["type_vocab_size"] = TypeVocabSize,
            ["initializer_range"] = InitializerRange,
            ["layer_norm_eps"] = LayerNormEps,
            ["pad_token_id"] = PadTokenId,
            ["position_embedding_type"] = "absolute",
            ["classifier_pooling"] = Pooling switch { BertPooling.Cls => "cls", BertPooling.Mean => "mean", _ => "pooler" },
        };
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < Labels.Count; i++)
        {
            id2label[i.ToString(CultureInfo.InvariantCulture)] = Labels[i];
            label2id[Labels[i]] = i;
        }
        json["id2label"] = id2label;
        json["label2id"] = label2id;
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonValue? Value(JsonObject json, string key) => json[key] as JsonValue;

    private static int? GetInt(JsonObject json, string key, string source)
    {
        JsonValue? v = Value(json, key);
        if (v is null)
        {
            return null;
        }
        return v.TryGetValue(out int i) ? i
            : v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue ? (int)d
            : throw new InvalidDataException($"'{source}': {key} must be an integer (was {v.ToJsonString()}).");
    }

    private static double? GetDouble(JsonObject json, string key, string source)
    {
        JsonValue? v = Value(json, key);
        if (v is null)
        {
            return null;
        }
        return v.TryGetValue(out double d) ? d : throw new InvalidDataException($"'{source}': {key} must be a number (was {v.ToJsonString()}).");
    }

    private static string? GetString(JsonObject json, string key, string source)
    {
        JsonValue? v = Value(json, key);
        if (v is null)
        {
            return null;
        }
        return v.TryGetValue(out string? s) ? s : throw new InvalidDataException($"'{source}': {key} must be a string (was {v.ToJsonString()}).");
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Trainers.Torch.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Imports a BERT encoder exported to ONNX from a Hugging Face model (<c>torch.onnx</c>, optimum): the
/// configuration inferred from the graph and tensor shapes (overridable key by key by a <c>config.json</c>
/// beside the file), the weights under Hugging Face's names in PyTorch's layout, and the tokenizer from the
/// <c>vocab.txt</c> (and optional <c>tokenizer_config.json</c>) beside the file.
/// </summary>
internal static class BertOnnxImporter
{
    /// <summary>The file name looked for when a folder holds an ONNX export instead of safetensors weights.</summary>
    public const string OnnxFileName = "model.onnx";

    /// <summary>Reads the configuration and tokenizer of <paramref name="onnxPath"/>; <see cref="BertOnnxImport.CopyWeightsInto"/> then loads the weights.</summary>
    /// <exception cref="FileNotFoundException">The file or its <c>vocab.txt</c> is missing.</exception>
    /// <exception cref="InvalidDataException">Not a BERT encoder, an unsupported operator, or an inconsistency (e.g. vocabulary larger than the embedding table); the message names it.</exception>
    public static BertOnnxImport Import(string onnxPath)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(onnxPath))!;
        OnnxModel model = OnnxModel.Load(onnxPath);
        BertOnnxGraph graph = BertOnnxGraph.Open(model);
        var messages = new List<string>();

        BertTextTokenizer tokenizer;
        try
        {
            tokenizer = BertTextTokenizer.FromFolder(folder);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"The BERT encoder '{onnxPath}' needs its vocabulary beside it: {e.Message}", e.FileName, e);
        }

        BertConfig config = InferConfig(graph, folder, tokenizer);
        if (tokenizer.VocabularySize > config.VocabSize)
        {
            throw new InvalidDataException(
                $"The vocabulary beside '{onnxPath}' has {tokenizer.VocabularySize} tokens but the word embedding table " +
                $"'{graph.Prefix}embeddings.word_embeddings.weight' has {config.VocabSize} rows: token ids past row {config.VocabSize - 1} would have no embedding.");
        }
        if (tokenizer.VocabularySize < config.VocabSize)
        {
            messages.Add($"'{onnxPath}': the vocabulary has {tokenizer.VocabularySize} tokens and the embedding table {config.VocabSize} rows; the extra rows are never used.");
        }

        bool hasPooler = graph.Has("pooler.dense.bias");
        if (!hasPooler)
        {
            messages.Add($"'{onnxPath}' has no pooler ('{graph.Prefix}pooler.dense.*').");
        }
        return new BertOnnxImport(config, tokenizer, graph, hasPooler, messages);
    }

    /// <summary>
    /// Copies every encoder tensor of <paramref name="graph"/> into <paramref name="target"/> (built from the imported
    /// configuration), the pooler only when <paramref name="hasPooler"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing or has another shape; the message names it.</exception>
    internal static void CopyWeights(BertOnnxGraph graph, BertModel target, bool hasPooler)
    {
        var linearModules = new HashSet<string>(target.named_modules().Where(m => m.module is Linear).Select(m => m.name), StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach ((string name, Parameter parameter) in target.named_parameters())
        {
            if (name.StartsWith("pooler.", StringComparison.Ordinal) && !hasPooler)
            {
                continue;
            }
            using var scope = NewDisposeScope();
            string module = name[..name.LastIndexOf('.')];
            Tensor value = name.EndsWith(".weight", StringComparison.Ordinal) && linearModules.Contains(module)
                ? graph.ReadLinearWeight(module, parameter.shape[1], parameter.shape[0])
                : graph.ReadNamed(name);
            if (!value.shape.SequenceEqual(parameter.shape))
            {
                throw new InvalidDataException(
                    $"'{graph.Source}': tensor '{graph.Prefix}{name}' has shape [{string.Join(", ", value.shape)}] but the configuration needs [{string.Join(", ", parameter.shape)}].");
            }
            parameter.copy_(value);
        }
    }

    private static BertConfig InferConfig(BertOnnxGraph graph, string folder, BertTextTokenizer tokenizer)
    {
        long[] word = graph.Shape("embeddings.word_embeddings.weight");
        int hidden = checked((int)word[1]);
        int layers = graph.CountLayers();
        graph.CheckOperators(layers);
        var inferred = new JsonObject
        {
            ["architectures"] = new JsonArray("BertModel"),
            ["model_type"] = "bert",
            ["vocab_size"] = word[0],
            ["hidden_size"] = hidden,
            ["num_hidden_layers"] = layers,
            ["intermediate_size"] = graph.Shape("encoder.layer.0.intermediate.dense.bias")[0],
            ["max_position_embeddings"] = graph.Shape("embeddings.position_embeddings.weight")[0],
            ["type_vocab_size"] = graph.Shape("embeddings.token_type_embeddings.weight")[0],
            ["pad_token_id"] = tokenizer.PaddingTokenId,
        };
        if (graph.InferHeads(0, hidden) is int heads)
        {
            inferred["num_attention_heads"] = heads;
        }
        if (graph.InferLayerNormEps("embeddings.LayerNorm") is double eps)
        {
            inferred["layer_norm_eps"] = eps;
        }
        if (graph.InferActivation(0) is string activation)
        {
            inferred["hidden_act"] = activation;
        }

        // A config.json beside the file overrides what was inferred, key by key.
        string configPath = Path.Combine(folder, BertCheckpoint.ConfigFileName);
        if (File.Exists(configPath))
        {
            JsonObject overrides;
            try
            {
                overrides = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
                    ?? throw new InvalidDataException($"'{configPath}' does not hold a JSON object.");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{configPath}' is not valid JSON: {e.Message}", e);
            }
            foreach (KeyValuePair<string, JsonNode?> entry in overrides)
            {
                inferred[entry.Key] = entry.Value?.DeepClone();
            }
        }
        foreach ((string key, string what) in new[]
        {
            ("num_attention_heads", "no Reshape splits the query projection into heads"),
            ("layer_norm_eps", "no LayerNormalization or decomposed LayerNorm reads the embedding LayerNorm weight"),
            ("hidden_act", "the operators after the intermediate projection form no known activation"),
        })
        {
            if (!inferred.ContainsKey(key))
            {
                throw new InvalidDataException(
                    $"'{graph.Source}': cannot infer {key} ({what}); set it in a {BertCheckpoint.ConfigFileName} beside the file.");
            }
        }
        return BertConfig.FromJson(inferred.ToJsonString(), $"configuration inferred from '{graph.Source}'{(File.Exists(configPath) ? $" and '{configPath}'" : "")}");
    }
}

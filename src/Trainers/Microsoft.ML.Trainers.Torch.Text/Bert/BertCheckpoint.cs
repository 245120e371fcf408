using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// A Hugging Face BERT checkpoint folder (<c>config.json</c>, <c>model.safetensors</c>, <c>vocab.txt</c>)
/// loaded as a TorchSharp <see cref="BertForSequenceClassification"/> and its tokenizer.
/// </summary>
/// <remarks>
/// Accepts float32, float16 and bfloat16 safetensors (converted to the model's float32), with tensor
/// names under <c>bert.</c> (<c>BertFor*</c> checkpoints) or without (a bare <c>BertModel</c>). Weights the
/// checkpoint lacks - the classifier of a bare or pre-training checkpoint, a classifier of another
/// size, the pooler of a masked-LM checkpoint - are initialised as Hugging Face does and reported
/// through <see cref="BertLoadOptions.Log"/> and <see cref="Messages"/>. Extra tensors (pre-training
/// heads, old <c>position_ids</c> buffers) are skipped and reported. Every other encoder tensor must be
/// present with the configured shape, else <see cref="CheckpointMismatchException"/> names it.
/// </remarks>
public sealed class BertCheckpoint
{
    /// <summary>The file that holds the architecture.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>The file that holds the weights.</summary>
    public const string WeightsFileName = "model.safetensors";

    private BertCheckpoint(BertConfig config, BertTextTokenizer tokenizer, BertForSequenceClassification model, IReadOnlyList<string> messages)
    {
        Config = config;
        Tokenizer = tokenizer;
        Model = model;
        Messages = messages;
    }

    /// <summary>The architecture as built (after the label and dropout options).</summary>
    public BertConfig Config { get; }

    /// <summary>The checkpoint's tokenizer.</summary>
    public BertTextTokenizer Tokenizer { get; }

    /// <summary>The model with the checkpoint's weights; the caller owns (disposes) it.</summary>
    public BertForSequenceClassification Model { get; }

    /// <summary>What was initialised fresh or skipped, one line each.</summary>
    public IReadOnlyList<string> Messages { get; }

    /// <summary>Loads <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or not a BERT checkpoint; the message names it.</exception>
    /// <exception cref="CheckpointMismatchException">An encoder tensor is missing or has another shape; the message names it.</exception>
    public static BertCheckpoint Load(string folder, BertLoadOptions? options = null)
    {
        CheckFolder(folder, "BERT checkpoint folder");
        return LoadParsed(folder, BertConfig.FromFile(Path.Combine(folder, ConfigFileName)), BertTextTokenizer.FromFolder(folder), options);
    }

    /// <summary>
    /// Throws, naming <paramref name="description"/> and the folder, unless <paramref name="folder"/> exists and holds the
    /// configuration, safetensors weights and a vocabulary (<c>vocab.txt</c> or <c>tokenizer.json</c>).
    /// </summary>
    internal static void CheckFolder(string folder, string description)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{description} '{folder}' does not exist.");
        }
        string configPath = Path.Combine(folder, ConfigFileName);
        string weightsPath = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"{description} '{folder}' has no '{ConfigFileName}'.", configPath);
        }
        if (!File.Exists(weightsPath))
        {
            string hint = File.Exists(Path.Combine(folder, "model.safetensors.index.json")) ? " Sharded safetensors checkpoints are not supported."
                : File.Exists(Path.Combine(folder, "pytorch_model.bin")) ? " Only safetensors weights are supported; convert 'pytorch_model.bin' with save_pretrained(safe_serialization=True)."
                : "";
            throw new FileNotFoundException($"{description} '{folder}' has no '{WeightsFileName}'.{hint}", weightsPath);
        }
        if (!File.Exists(Path.Combine(folder, "vocab.txt")) && !File.Exists(Path.Combine(folder, "tokenizer.json")))
        {
            throw new FileNotFoundException($"{description} '{folder}' has neither 'vocab.txt' nor 'tokenizer.json'.", Path.Combine(folder, "vocab.txt"));
        }
    }

    /// <summary>
    /// Builds the classifier from <paramref name="folder"/>'s weights with a configuration and tokenizer the caller already
    /// parsed from it (the trainer parses them once per fit).
    /// </summary>
    internal static BertCheckpoint LoadParsed(string folder, BertConfig config, BertTextTokenizer tokenizer, BertLoadOptions? options)
    {
        options ??= new BertLoadOptions();
        string configPath = Path.Combine(folder, ConfigFileName);
        string weightsPath = Path.Combine(folder, WeightsFileName);
        if (options.Labels is not null)
        {
            config = config.WithLabels(options.Labels);
        }
        if (options.Dropout is double dropout)
        {
            config = config.WithDropout(dropout);
        }
        if (tokenizer.VocabularySize > config.VocabSize)
        {
            throw new InvalidDataException(
                $"The vocabulary in '{folder}' has {tokenizer.VocabularySize} tokens but '{configPath}' sets vocab_size {config.VocabSize}.");
        }

        var model = new BertForSequenceClassification(config);
        try
        {
            var messages = new List<string>();
            void Log(string message)
            {
                messages.Add(message);
                options.Log?.Invoke(message);
            }
            LoadWeights(model, weightsPath, options.Generator, Log);
            if (options.FreezeEncoder)
            {
                model.FreezeEncoder();
            }
            return new BertCheckpoint(config, tokenizer, model, messages);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads BERT weights from a safetensors file into <paramref name="model"/>, initialising what the file lacks.</summary>
    internal static void LoadWeights(BertForSequenceClassification model, string weightsPath, Generator? generator, Action<string> log)
    {
        using var reader = new SafetensorsReader(weightsPath);
        const string wordEmbeddings = "embeddings.word_embeddings.weight";
        bool prefixed = reader.Contains("bert." + wordEmbeddings);
        if (!prefixed && !reader.Contains(wordEmbeddings))
        {
            throw new InvalidDataException(
                $"'{weightsPath}' is not a BERT checkpoint: it has neither 'bert.{wordEmbeddings}' nor '{wordEmbeddings}'.");
        }
        string prefix = prefixed ? "bert." : "";
        var ignore = new List<string>();

        bool hasPooler = reader.Contains(prefix + "pooler.dense.weight");
        if (!hasPooler)
        {
            ignore.Add(prefix + "pooler.");
            model.InitializeHead(includePooler: true, generator);
            log($"'{weightsPath}' has no pooler (for example a masked-LM checkpoint): bert.pooler.dense initialised fresh.");
        }

        bool loadClassifier = prefixed && ClassifierFits(reader, model);
        if (!loadClassifier)
        {
            if (prefixed)
            {
                ignore.Add("classifier.");
            }
            model.InitializeHead(includePooler: false, generator);
            log(prefixed && reader.Contains("classifier.weight")
                ? $"'{weightsPath}' has a classifier of shape [{string.Join(", ", reader.GetInfo("classifier.weight").Shape)}] but the model needs [{model.Config.NumLabels}, {model.Config.HiddenSize}]: classifier initialised fresh."
                : $"'{weightsPath}' has no sequence-classification head: classifier initialised fresh ({model.Config.NumLabels} labels).");
        }

        // A bare BertModel checkpoint loads into the encoder, whose names carry no "bert." prefix.
        nn.Module target = prefixed ? model : model.Bert;
        CheckpointLoadReport report = ModuleCheckpoint.Load(target, reader, new CheckpointLoadOptions
        {
            IgnorePrefixes = ignore,
            AllowMissing = false,
            AllowUnexpected = true,
        });
        if (report.Unexpected.Count > 0)
        {
            log($"'{weightsPath}': skipped {report.Unexpected.Count} tensor(s) the classifier does not use: {string.Join(", ", report.Unexpected.Take(10))}{(report.Unexpected.Count > 10 ? ", ..." : "")}.");
        }
    }

    private static bool ClassifierFits(SafetensorsReader reader, BertForSequenceClassification model)
    {
        if (!reader.TryGetInfo("classifier.weight", out SafetensorsTensorInfo weight) || !reader.TryGetInfo("classifier.bias", out SafetensorsTensorInfo bias))
        {
            return false;
        }
        return weight.Shape.SequenceEqual(new long[] { model.Config.NumLabels, model.Config.HiddenSize })
            && bias.Shape.SequenceEqual(new long[] { model.Config.NumLabels });
    }
}

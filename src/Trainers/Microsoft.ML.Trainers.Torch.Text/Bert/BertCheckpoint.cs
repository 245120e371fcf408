using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// A BERT encoder - a Hugging Face checkpoint folder (<c>config.json</c>, <c>model.safetensors</c>, <c>vocab.txt</c>)
/// or an ONNX export (<c>model.onnx</c> with <c>vocab.txt</c> beside it) - loaded as a TorchSharp
/// <see cref="BertForSequenceClassification"/> and its tokenizer.
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

    private BertCheckpoint(BertConfig config, BertTextTokenizer tokenizer, BertForSequenceClassification model, IReadOnlyList<string> messages, bool hasPretrainedPooler)
    {
        Config = config;
        Tokenizer = tokenizer;
        Model = model;
        Messages = messages;
        HasPretrainedPooler = hasPretrainedPooler;
    }

    /// <summary>The architecture as built (after the label and dropout options).</summary>
    public BertConfig Config { get; }

    /// <summary>The checkpoint's tokenizer.</summary>
    public BertTextTokenizer Tokenizer { get; }

    /// <summary>The model with the checkpoint's weights; the caller owns (disposes) it.</summary>
    public BertForSequenceClassification Model { get; }

    /// <summary>What was initialised fresh or skipped, one line each.</summary>
    public IReadOnlyList<string> Messages { get; }

    /// <summary>Whether the pooler's weights came from the checkpoint (false: initialised fresh, and <see cref="SaveEncoder"/> leaves them out).</summary>
    public bool HasPretrainedPooler { get; }

    /// <summary>
    /// Loads a BERT encoder from <paramref name="path"/>: a Hugging Face checkpoint folder, an ONNX file
    /// (<c>*.onnx</c>, whose configuration is inferred from the graph and a <c>config.json</c> beside it may
    /// override; see <see cref="OnnxFileName"/>), or a folder holding <c>model.onnx</c> but no <c>model.safetensors</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The path does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, not a BERT encoder, or inconsistent; the message names it.</exception>
    /// <exception cref="CheckpointMismatchException">An encoder tensor is missing or has another shape; the message names it.</exception>
    public static BertCheckpoint Load(string path, BertLoadOptions? options = null)
    {
        options ??= new BertLoadOptions();
        if (File.Exists(path) && path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            return LoadOnnx(path, options);
        }
        string folder = path;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(File.Exists(path)
                ? $"'{path}' is neither a BERT checkpoint folder nor an ONNX file (*.onnx)."
                : $"BERT checkpoint folder '{folder}' does not exist.");
        }
        if (!File.Exists(Path.Combine(folder, WeightsFileName)) && File.Exists(Path.Combine(folder, OnnxFileName)))
        {
            return LoadOnnx(Path.Combine(folder, OnnxFileName), options);
        }
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
        string weightsPath = Path.Combine(folder, WeightsFileName);
        config = ApplyOptions(config, options);
        CheckVocabulary(folder, config, tokenizer);

        var model = new BertForSequenceClassification(config);
        try
        {
            var messages = new List<string>();
            void Log(string message)
            {
                messages.Add(message);
                options.Log?.Invoke(message);
            }
            bool hasPooler = LoadWeights(model, weightsPath, options.Generator, Log);
            if (options.FreezeEncoder)
            {
                model.FreezeEncoder();
            }
            return new BertCheckpoint(config, tokenizer, model, messages, hasPooler);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The file name of an ONNX export inside a checkpoint folder.</summary>
    public const string OnnxFileName = BertOnnxImporter.OnnxFileName;

    /// <summary>
    /// Writes the encoder as a Hugging Face <c>BertModel</c> folder - <c>config.json</c>, <c>model.safetensors</c>
    /// (float32, no classifier; the pooler only when <see cref="HasPretrainedPooler"/>), <c>vocab.txt</c> and
    /// <c>tokenizer_config.json</c> - so an ONNX export is converted once and then loads like any checkpoint.
    /// </summary>
    /// <param name="folder">The folder to write (created if needed; existing files of these names are replaced).</param>
    public void SaveEncoder(string folder)
    {
        Directory.CreateDirectory(folder);
        var json = (JsonObject)JsonNode.Parse(Config.ToJson())!;
        json["architectures"] = new JsonArray("BertModel");
        foreach (string key in new[] { "id2label", "label2id" })
        {
            json.Remove(key);
        }
        File.WriteAllText(Path.Combine(folder, ConfigFileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var tensors = ModuleCheckpoint.StateTensors(Model.Bert)
            .Where(t => HasPretrainedPooler || !t.Name.StartsWith("pooler.", StringComparison.Ordinal))
            .Select(t => new KeyValuePair<string, Tensor>(t.Name, t.Tensor));
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" }, ScalarType.Float32);

        using (FileStream vocabulary = File.Create(Path.Combine(folder, "vocab.txt")))
        {
            Tokenizer.SaveVocabulary(vocabulary);
        }
        BertTokenizerSettings s = Tokenizer.Settings;
        var tokenizerConfig = new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer",
            ["do_lower_case"] = s.LowerCase,
            ["strip_accents"] = s.StripAccents,
            ["tokenize_chinese_chars"] = s.TokenizeChineseChars,
            ["unk_token"] = s.UnknownToken,
            ["cls_token"] = s.ClassificationToken,
            ["sep_token"] = s.SeparatorToken,
            ["pad_token"] = s.PaddingToken,
            ["mask_token"] = s.MaskToken,
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), tokenizerConfig.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static BertConfig ApplyOptions(BertConfig config, BertLoadOptions options)
    {
        if (options.Labels is not null)
        {
            config = config.WithLabels(options.Labels);
        }
        if (options.Dropout is double dropout)
        {
            config = config.WithDropout(dropout);
        }
        if (options.Pooling is BertPooling pooling)
        {
            config = config.Clone();
            config.Pooling = pooling;
        }
        return config;
    }

    /// <summary>
    /// The ONNX file <paramref name="path"/> names - the path itself when it is a <c>*.onnx</c> file, or the folder's
    /// <see cref="OnnxFileName"/> when the folder holds no safetensors weights - or null for a Hugging Face folder.
    /// Throws, naming <paramref name="description"/>, when the path is neither.
    /// </summary>
    internal static string? ResolveOnnx(string path, string description)
    {
        if (File.Exists(path))
        {
            if (!path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"{description} '{path}' is a file but not an ONNX export (*.onnx); pass an ONNX file or a Hugging Face checkpoint folder.", description);
            }
            CheckVocabularyBeside(path, description);
            return path;
        }
        if (Directory.Exists(path) && !File.Exists(Path.Combine(path, WeightsFileName)) && File.Exists(Path.Combine(path, OnnxFileName)))
        {
            string onnx = Path.Combine(path, OnnxFileName);
            CheckVocabularyBeside(onnx, description);
            return onnx;
        }
        CheckFolder(path, description);
        return null;
    }

    private static void CheckVocabularyBeside(string onnxPath, string description)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(onnxPath))!;
        if (!File.Exists(Path.Combine(folder, "vocab.txt")) && !File.Exists(Path.Combine(folder, "tokenizer.json")))
        {
            throw new FileNotFoundException(
                $"{description} '{onnxPath}' needs its vocabulary beside it: '{folder}' has neither 'vocab.txt' nor 'tokenizer.json'.", Path.Combine(folder, "vocab.txt"));
        }
    }

    private static BertCheckpoint LoadOnnx(string onnxPath, BertLoadOptions options) => LoadImported(onnxPath, BertOnnxImporter.Import(onnxPath), options);

    /// <summary>Builds the classifier from an ONNX encoder the caller already imported (the trainer imports it once per fit).</summary>
    internal static BertCheckpoint LoadImported(string onnxPath, BertOnnxImport import, BertLoadOptions options)
    {
        BertConfig config = ApplyOptions(import.Config, options);
        var messages = new List<string>();
        void Log(string message)
        {
            messages.Add(message);
            options.Log?.Invoke(message);
        }
        foreach (string message in import.Messages)
        {
            Log(message);
        }
        var model = new BertForSequenceClassification(config);
        try
        {
            model.InitializeHead(includePooler: !import.HasPooler, options.Generator);
            import.CopyWeightsInto(model.Bert);
            if (!import.HasPooler)
            {
                Log($"'{onnxPath}': bert.pooler.dense initialised fresh.");
            }
            Log($"'{onnxPath}' has no sequence-classification head: classifier initialised fresh ({config.NumLabels} labels).");
            if (options.FreezeEncoder)
            {
                model.FreezeEncoder();
            }
            return new BertCheckpoint(config, import.Tokenizer, model, messages, import.HasPooler);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads BERT weights from a safetensors file into <paramref name="model"/>, initialising what the file lacks; returns whether it held the pooler.</summary>
    internal static bool LoadWeights(BertForSequenceClassification model, string weightsPath, Generator? generator, Action<string> log)
    {
        using var reader = new SafetensorsReader(weightsPath);
        WeightsLayout layout = Layout(reader, model, weightsPath);
        if (!layout.HasPooler)
        {
            model.InitializeHead(includePooler: true, generator);
            log($"'{weightsPath}' has no pooler (for example a masked-LM checkpoint): bert.pooler.dense initialised fresh.");
        }
        if (!layout.LoadClassifier)
        {
            model.InitializeHead(includePooler: false, generator);
            log(layout.Prefixed && reader.Contains("classifier.weight")
                ? $"'{weightsPath}' has a classifier of shape [{string.Join(", ", reader.GetInfo("classifier.weight").Shape)}] but the model needs [{model.Config.NumLabels}, {model.Config.HiddenSize}]: classifier initialised fresh."
                : $"'{weightsPath}' has no sequence-classification head: classifier initialised fresh ({model.Config.NumLabels} labels).");
        }
        CheckpointLoadReport report = ModuleCheckpoint.Load(layout.Target, reader, layout.Options);
        if (report.Unexpected.Count > 0)
        {
            log($"'{weightsPath}': skipped {report.Unexpected.Count} tensor(s) the classifier does not use: {string.Join(", ", report.Unexpected.Take(10))}{(report.Unexpected.Count > 10 ? ", ..." : "")}.");
        }
        return layout.HasPooler;
    }

    /// <summary>
    /// Checks a Hugging Face folder's weights against the network its configuration builds for <paramref name="options"/>'
    /// labels, from the safetensors header alone, so a mismatch fails before any text is tokenized.
    /// </summary>
    internal static void CheckWeights(string folder, BertConfig config, BertTextTokenizer tokenizer, BertLoadOptions options)
    {
        config = ApplyOptions(config, options);
        CheckVocabulary(folder, config, tokenizer);
        string weightsPath = Path.Combine(folder, WeightsFileName);
        using var model = new BertForSequenceClassification(config);
        using var reader = new SafetensorsReader(weightsPath);
        WeightsLayout layout = Layout(reader, model, weightsPath);
        ModuleCheckpoint.Check(layout.Target, reader, layout.Options);
    }

    private static void CheckVocabulary(string folder, BertConfig config, BertTextTokenizer tokenizer)
    {
        if (tokenizer.VocabularySize > config.VocabSize)
        {
            throw new InvalidDataException(
                $"The vocabulary in '{folder}' has {tokenizer.VocabularySize} tokens but '{Path.Combine(folder, ConfigFileName)}' sets vocab_size {config.VocabSize}.");
        }
    }

    /// <summary>Where a checkpoint's tensors go in the model, and which of them it lacks or the model replaces.</summary>
    private sealed record WeightsLayout(bool Prefixed, bool HasPooler, bool LoadClassifier, nn.Module Target, CheckpointLoadOptions Options);

    private static WeightsLayout Layout(SafetensorsReader reader, BertForSequenceClassification model, string weightsPath)
    {
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
        }
        bool loadClassifier = prefixed && ClassifierFits(reader, model);
        if (!loadClassifier && prefixed)
        {
            ignore.Add("classifier.");
        }
        // A bare BertModel checkpoint loads into the encoder, whose names carry no "bert." prefix.
        nn.Module target = prefixed ? model : model.Bert;
        return new WeightsLayout(prefixed, hasPooler, loadClassifier, target,
            new CheckpointLoadOptions { IgnorePrefixes = ignore, AllowMissing = false, AllowUnexpected = true });
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

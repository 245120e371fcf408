using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Fine-tunes a pretrained BERT-family encoder (a local Hugging Face checkpoint or ONNX export) with a classification head on top
/// (Hugging Face's <c>BertForSequenceClassification</c>). Nothing is downloaded.
/// </summary>
/// <example><code>new TextClassificationTrainerOptions(new BertFineTuning { Checkpoint = "models/bert-base-uncased" })</code></example>
public sealed class BertFineTuning : BertTextModel
{
    private string _checkpoint = null!;

    /// <summary>
    /// The pretrained encoder: a Hugging Face checkpoint folder (<c>config.json</c>, <c>model.safetensors</c> in fp32, fp16
    /// or bf16, and <c>vocab.txt</c> or <c>tokenizer.json</c>), or an ONNX export of one (a <c>*.onnx</c> file, or a folder
    /// holding <c>model.onnx</c>, with <c>vocab.txt</c> beside it; see <see cref="BertCheckpoint.Load"/>). Checked when
    /// set; read once per fit.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing; the message names it.</exception>
    /// <exception cref="ArgumentException">The path is a file other than an ONNX export.</exception>
    public required string Checkpoint
    {
        get => _checkpoint;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(Checkpoint));
            BertCheckpoint.ResolveOnnx(value, nameof(Checkpoint));
            _checkpoint = value;
        }
    }

    /// <summary>
    /// How the classifier pools the encoder's final states; null keeps the checkpoint's <c>classifier_pooling</c>, else
    /// <see cref="BertPooling.Pooler"/> (Hugging Face's <c>BertForSequenceClassification</c>). Sentence-transformers
    /// encoders such as all-MiniLM-L6-v2 were trained with <see cref="BertPooling.Mean"/> and ship no pooler weights.
    /// Saved models keep the pooling they were trained with.
    /// </summary>
    public BertPooling? Pooling { get; set; }

    /// <summary>Train only the pooler and classifier, keeping the encoder's pretrained weights.</summary>
    public bool FreezeEncoder { get; set; }

    internal override TorchClassificationFit CreateFit(TextClassificationTrainerOptions options, IChannel channel)
    {
        // Parsed here, once per fit: the sequence length needs the configuration, reading needs the tokenizer, and the
        // model is built from both when it is created.
        string path = Checkpoint;
        double? dropout = Dropout;
        bool freeze = FreezeEncoder;
        BertPooling? pooling = Pooling;
        BertLoadOptions LoadOptions(IReadOnlyList<string> labels, Action<string> log) => new()
        {
            Labels = labels,
            Dropout = dropout,
            Pooling = pooling,
            FreezeEncoder = freeze,
            Log = log,
        };

        if (BertCheckpoint.ResolveOnnx(path, nameof(Checkpoint)) is string onnxPath)
        {
            BertOnnxImport import = BertOnnxImporter.Import(onnxPath);
            var onnxEncoder = CreateEncoder(import.Tokenizer, import.Config.MaxPositionEmbeddings, onnxPath);
            return new BertClassificationFit(options, onnxEncoder, nameof(BertFineTuning),
                (labels, log) => BertCheckpoint.LoadImported(onnxPath, import, LoadOptions(labels, log)).Model, this);
        }

        string configPath = Path.Combine(path, BertCheckpoint.ConfigFileName);
        BertConfig config = BertConfig.FromFile(configPath);
        BertTextTokenizer tokenizer = BertTextTokenizer.FromFolder(path);
        var encoder = CreateEncoder(tokenizer, config.MaxPositionEmbeddings, configPath);
        return new BertClassificationFit(options, encoder, nameof(BertFineTuning),
            (labels, log) => BertCheckpoint.LoadParsed(path, config, tokenizer, LoadOptions(labels, log)).Model, this,
            labels => BertCheckpoint.CheckWeights(path, config, tokenizer, LoadOptions(labels, _ => { })));
    }
}

using System;
using System.IO;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Fine-tunes a pretrained BERT-family encoder from a local Hugging Face checkpoint with a classification head on top
/// (Hugging Face's <c>BertForSequenceClassification</c>). Nothing is downloaded.
/// </summary>
/// <example><code>new TextClassificationTrainerOptions(new BertFineTuning { Checkpoint = "models/bert-base-uncased" })</code></example>
public sealed class BertFineTuning : BertTextModel
{
    private string _checkpoint = null!;

    /// <summary>
    /// A Hugging Face checkpoint folder: <c>config.json</c>, <c>model.safetensors</c> (fp32, fp16 or bf16) and
    /// <c>vocab.txt</c> or <c>tokenizer.json</c>. Checked when set; read once per fit.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing; the message names it.</exception>
    public required string Checkpoint
    {
        get => _checkpoint;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(Checkpoint));
            BertCheckpoint.CheckFolder(value, nameof(Checkpoint));
            _checkpoint = value;
        }
    }

    /// <summary>Train only the pooler and classifier, keeping the encoder's pretrained weights.</summary>
    public bool FreezeEncoder { get; set; }

    internal override TorchClassificationFit CreateFit(TextClassificationTrainerOptions options, IChannel channel)
    {
        // Parsed here, once per fit: the sequence length needs the configuration, reading needs the tokenizer, and the
        // model is built from both when it is created.
        string folder = Checkpoint;
        string configPath = Path.Combine(folder, BertCheckpoint.ConfigFileName);
        BertConfig config = BertConfig.FromFile(configPath);
        BertTextTokenizer tokenizer = BertTextTokenizer.FromFolder(folder);
        var encoder = new BertTextEncoder(tokenizer, ResolveMaxLength(config.MaxPositionEmbeddings, configPath));
        double? dropout = Dropout;
        bool freeze = FreezeEncoder;
        return new BertClassificationFit(options, encoder, nameof(BertFineTuning), (labels, log) => BertCheckpoint.LoadParsed(folder, config, tokenizer, new BertLoadOptions
        {
            Labels = labels,
            Dropout = dropout,
            FreezeEncoder = freeze,
            Log = log,
        }).Model);
    }
}

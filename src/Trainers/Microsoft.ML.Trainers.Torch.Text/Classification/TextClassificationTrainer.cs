using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Trains a text classifier - a BERT-family encoder fine-tuned from a local Hugging Face checkpoint (or trained
/// from scratch), or a fastText-style n-gram model - with the optimizer chosen in the options (AdamW by default,
/// or SGD with momentum). Create it with <c>mlContext.MulticlassClassification.Trainers.TextClassification(...)</c>.
/// </summary>
public sealed class TextClassificationTrainer : TorchClassificationTrainer<TextClassificationTrainerOptions>
{
    private const int DefaultBertMaxLength = 128;

    // Settled in BeginFit from the options and the checkpoint, before any data is read.
    private BertTextEncoder? _bertEncoder;
    private FastTextOptions? _fastText;

    internal TextClassificationTrainer(IHostEnvironment env, TextClassificationTrainerOptions options)
        : base(env, options, nameof(TextClassificationTrainer))
    {
    }

    private TextColumns Columns => new(Options.TextColumnName, Options.SecondTextColumnName);

    /// <inheritdoc />
    protected override double SparseLearningRate => Options.EmbeddingLearningRate * Options.BatchSize;

    /// <inheritdoc />
    protected override void CheckInputShape(SchemaShape inputSchema) => Columns.Check(inputSchema);

    /// <inheritdoc />
    protected override void BeginFit(IDataView trainingData, IChannel channel)
    {
        // The columns were checked by CheckInputShape before this; ReadTrainingSet checks each data view it reads.
        if (Options.Architecture == TextArchitecture.FastText)
        {
            FastTextOptions shape = FastTextOptions.FromJson(Options.FastText.ToJson());
            shape.MaxTokens = Options.MaxSequenceLength ?? shape.MaxTokens;
            shape.Dropout = Options.Dropout ?? shape.Dropout;
            _fastText = shape;
            return;
        }

        BertConfig config;
        BertTextTokenizer tokenizer;
        string configSource;
        if (Options.CheckpointFolder is string folder)
        {
            configSource = Path.Combine(folder, BertCheckpoint.ConfigFileName);
            config = BertConfig.FromFile(configSource);
            tokenizer = BertTextTokenizer.FromFolder(folder);
        }
        else
        {
            configSource = nameof(TextClassificationTrainerOptions.BertConfig);
            config = Options.BertConfig!;
            using FileStream vocabulary = File.OpenRead(Options.VocabularyPath!);
            tokenizer = BertTextTokenizer.Create(vocabulary, Options.TokenizerSettings ?? new BertTokenizerSettings());
            if (tokenizer.VocabularySize > config.VocabSize)
            {
                throw new ArgumentException(
                    $"VocabularyPath '{Options.VocabularyPath}' has {tokenizer.VocabularySize} tokens but BertConfig.VocabSize is {config.VocabSize}.",
                    nameof(TextClassificationTrainerOptions.VocabularyPath));
            }
        }
        int maxLength = Options.MaxSequenceLength ?? Math.Min(DefaultBertMaxLength, config.MaxPositionEmbeddings);
        if (maxLength > config.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(TextClassificationTrainerOptions.MaxSequenceLength),
                $"MaxSequenceLength {maxLength} exceeds max_position_embeddings {config.MaxPositionEmbeddings} of '{configSource}'.");
        }
        _bertEncoder = new BertTextEncoder(tokenizer, maxLength);
    }

    /// <inheritdoc />
    protected override ITrainingSet ReadTrainingSet(IDataView data, LabelKeyInfo labels, IChannel channel) =>
        Options.Architecture == TextArchitecture.FastText
            ? Read(data, new FastTextEncoder(new FastTextFeaturizer(_fastText!)), channel)
            : Read(data, _bertEncoder!, channel);

    /// <inheritdoc />
    protected override TorchClassificationModel CreateModel(LabelKeyInfo labels, ITrainingSet trainingSet, IChannel channel)
    {
        TorchClassificationModel model = Options.Architecture == TextArchitecture.FastText
            ? new FastTextClassificationModel(_fastText!, labels.ClassCount, Columns)
            : CreateBert(labels, channel);
        channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"{Options.Architecture}: {model.Network.parameters().Sum(p => p.numel())} parameters ({model.Network.parameters().Where(p => p.requires_grad).Sum(p => p.numel())} trainable), {labels.ClassCount} classes."));
        return model;
    }

    private BertTextClassificationModel CreateBert(LabelKeyInfo labels, IChannel channel)
    {
        string[] names = Enumerable.Range(0, labels.ClassCount)
            .Select(i => labels.KeyValues?[i] is { Length: > 0 } name ? name : $"LABEL_{i}").ToArray();
        BertTextEncoder encoder = _bertEncoder!;
        BertForSequenceClassification network;
        if (Options.CheckpointFolder is string folder)
        {
            network = BertCheckpoint.Load(folder, new BertLoadOptions
            {
                Labels = names,
                Dropout = Options.Dropout,
                FreezeEncoder = Options.FreezeEncoder,
                Log = message => channel.Info(MessageSensitivity.None, message),
            }).Model;
        }
        else
        {
            BertConfig config = Options.BertConfig!.WithLabels(names);
            if (Options.Dropout is double dropout)
            {
                config = config.WithDropout(dropout);
            }
            network = new BertForSequenceClassification(config);
            network.InitializeWeights();
        }
        return new BertTextClassificationModel(network, encoder.Tokenizer, encoder.MaxLength, Columns);
    }

    private TextTrainingSet<TRow> Read<TRow>(IDataView data, ITextEncoder<TRow> encoder, IChannel channel)
    {
        Columns.Check(data.Schema);
        DataViewSchema.Column labelColumn = data.Schema[Options.LabelColumnName];
        var columns = Columns.Names.Select(n => data.Schema[n]).Append(labelColumn).ToArray();
        using DataViewRowCursor cursor = data.GetRowCursor(columns);
        Func<(string Text, string? Pair)> read = Columns.CreateReader(cursor);
        ValueGetter<uint> labelGetter = cursor.GetGetter<uint>(labelColumn);
        var rows = new List<TRow>();
        var classes = new List<int>();
        while (cursor.MoveNext())
        {
            classes.Add(ReadClass(labelGetter, cursor.Position));
            (string text, string? pair) = read();
            rows.Add(encoder.Encode(text, pair));
        }
        channel.Info(MessageSensitivity.None, $"Encoded {rows.Count} rows of '{string.Join("', '", Columns.Names)}'.");
        return new TextTrainingSet<TRow>(rows, classes, encoder);
    }
}

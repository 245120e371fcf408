using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// One fit of <see cref="TextClassificationTrainer"/>: the text columns and the encoder settled for this fit (tokenizer
/// and sequence length, or the n-gram featurizer), reading rows into encoded training sets, and creating the model.
/// </summary>
/// <typeparam name="TRow">The encoded form of one row.</typeparam>
internal abstract class TextClassificationFit<TRow> : TorchClassificationFit
{
    private readonly string _modelName;

    protected TextClassificationFit(TextClassificationTrainerOptions options, ITextEncoder<TRow> encoder, string modelName)
        : base(options.LabelColumnName)
    {
        Columns = new TextColumns(options.TextColumnName, options.SecondTextColumnName);
        Encoder = encoder;
        _modelName = modelName;
    }

    protected TextColumns Columns { get; }

    protected ITextEncoder<TRow> Encoder { get; }

    /// <summary>A row's length when training batches are grouped by length; null (the default) keeps the random order.</summary>
    protected virtual Func<TRow, int>? GroupingLength => null;

    /// <summary>
    /// The training rows a row becomes (<see cref="ITrainingSet.TrainingExamples"/>), e.g. a long text's windows; null
    /// (the default) trains on the rows as read. Validation and scoring always see whole rows.
    /// </summary>
    protected virtual Func<TRow, IEnumerable<TRow>>? TrainingRows => null;

    protected internal sealed override ITrainingSet ReadTrainingSet(IDataView data, LabelKeyInfo labels, IChannel channel)
    {
        Columns.Check(data.Schema);
        DataViewSchema.Column labelColumn = data.Schema[LabelColumnName];
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
            rows.Add(Encoder.Encode(text, pair));
        }
        channel.Info(MessageSensitivity.None, $"Encoded {rows.Count} rows of '{string.Join("', '", Columns.Names)}'.");
        return new TextTrainingSet<TRow>(rows, classes, Encoder, GroupingLength, TrainingRows);
    }

    protected internal sealed override TorchClassificationModel CreateModel(LabelKeyInfo labels, ITrainingSet trainingSet, IChannel channel)
    {
        TorchClassificationModel model = CreateTextModel(labels, channel);
        channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"{_modelName}: {model.Network.parameters().Sum(p => p.numel())} parameters ({model.Network.parameters().Where(p => p.requires_grad).Sum(p => p.numel())} trainable), {labels.ClassCount} classes."));
        return model;
    }

    /// <summary>The untrained (or pretrained) model for <paramref name="labels"/>.</summary>
    protected abstract TorchClassificationModel CreateTextModel(LabelKeyInfo labels, IChannel channel);
}

using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Encoded training texts and their classes, collated by the model's encoder.</summary>
internal sealed class TextTrainingSet<TRow> : ITrainingSet
{
    private readonly IReadOnlyList<TRow> _rows;
    private readonly IReadOnlyList<int> _labels;
    private readonly ITextEncoder<TRow> _encoder;
    private readonly Func<TRow, int>? _groupingLength;
    private readonly Func<TRow, IEnumerable<TRow>>? _trainingRows;

    /// <param name="rows">The encoded rows.</param>
    /// <param name="labels">Their classes.</param>
    /// <param name="encoder">Collates rows into batches.</param>
    /// <param name="groupingLength">
    /// A row's length when training batches are grouped by length (<see cref="LengthGrouping"/>); null keeps the loop's
    /// random order.
    /// </param>
    /// <param name="trainingRows">The training rows a row becomes (a long text's windows); null trains on the rows.</param>
    public TextTrainingSet(IReadOnlyList<TRow> rows, IReadOnlyList<int> labels, ITextEncoder<TRow> encoder, Func<TRow, int>? groupingLength = null,
        Func<TRow, IEnumerable<TRow>>? trainingRows = null)
    {
        if (rows.Count != labels.Count)
        {
            throw new ArgumentException($"{rows.Count} rows but {labels.Count} labels.");
        }
        _rows = rows;
        _labels = labels;
        _encoder = encoder;
        _groupingLength = groupingLength;
        _trainingRows = trainingRows;
    }

    public int Count => _rows.Count;

    public int GetLabel(int index) => _labels[index];

    /// <summary>Text has no augmentation; <paramref name="augment"/> and <paramref name="random"/> are unused.</summary>
    public IReadOnlyList<Tensor> Collate(ReadOnlySpan<int> indices, bool augment, Random random)
    {
        var rows = new TRow[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            rows[i] = _rows[indices[i]];
        }
        return _encoder.Collate(rows);
    }

    public ITrainingSet Subset(int[] indices)
    {
        var rows = new TRow[indices.Length];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            rows[i] = _rows[indices[i]];
            labels[i] = _labels[indices[i]];
        }
        return new TextTrainingSet<TRow>(rows, labels, _encoder, _groupingLength, _trainingRows);
    }

    /// <summary>Each row's training rows (a long text's windows), labelled with its class; this set when there is no split.</summary>
    public ITrainingSet TrainingExamples()
    {
        if (_trainingRows is not Func<TRow, IEnumerable<TRow>> split)
        {
            return this;
        }
        var rows = new List<TRow>(_rows.Count);
        var labels = new List<int>(_rows.Count);
        for (int i = 0; i < _rows.Count; i++)
        {
            foreach (TRow part in split(_rows[i]))
            {
                rows.Add(part);
                labels.Add(_labels[i]);
            }
        }
        return new TextTrainingSet<TRow>(rows, labels, _encoder, _groupingLength);
    }

    /// <summary>Groups the epoch's batches by length when the model asked for it; <paramref name="random"/> is unused.</summary>
    public void ArrangeEpoch(Span<int> order, int batchSize, Random random)
    {
        if (_groupingLength is Func<TRow, int> length)
        {
            LengthGrouping.Arrange(order, batchSize, i => length(_rows[i]));
        }
    }
}

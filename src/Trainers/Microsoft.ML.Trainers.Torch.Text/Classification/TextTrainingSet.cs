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

    public TextTrainingSet(IReadOnlyList<TRow> rows, IReadOnlyList<int> labels, ITextEncoder<TRow> encoder)
    {
        if (rows.Count != labels.Count)
        {
            throw new ArgumentException($"{rows.Count} rows but {labels.Count} labels.");
        }
        _rows = rows;
        _labels = labels;
        _encoder = encoder;
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
        return new TextTrainingSet<TRow>(rows, labels, _encoder);
    }
}

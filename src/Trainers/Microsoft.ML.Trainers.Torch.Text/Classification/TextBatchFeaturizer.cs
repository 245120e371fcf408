using System;
using System.Collections.Generic;

using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Reads the text columns of scored rows and encodes them into batches.</summary>
internal sealed class TextBatchFeaturizer<TRow> : IBatchFeaturizer
{
    private readonly Func<(string Text, string? Pair)> _read;
    private readonly ITextEncoder<TRow> _encoder;
    private readonly List<TRow> _rows = new();

    public TextBatchFeaturizer(DataViewRow row, TextColumns columns, ITextEncoder<TRow> encoder)
    {
        _read = columns.CreateReader(row);
        _encoder = encoder;
    }

    public int Count => _rows.Count;

    public void Add(long rowIndex)
    {
        (string text, string? pair) = _read();
        _rows.Add(_encoder.Encode(text, pair));
    }

    public IReadOnlyList<Tensor> TakeBatch()
    {
        IReadOnlyList<Tensor> batch = _encoder.Collate(_rows);
        _rows.Clear();
        return batch;
    }
}

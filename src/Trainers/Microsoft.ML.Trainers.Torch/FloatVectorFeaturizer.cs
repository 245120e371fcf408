using System.Collections.Generic;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Batches one fixed-size float-vector column into a single N × size float32 tensor: the featurizer of a model whose
/// input is a plain feature vector (an MLP or a linear model). The model's <c>CheckInputSchema</c> checks the column.
/// </summary>
public sealed class FloatVectorFeaturizer : IBatchFeaturizer
{
    private readonly int _size;
    private readonly ValueGetter<VBuffer<float>> _getter;
    private readonly List<float> _values = new();
    private VBuffer<float> _buffer;

    /// <summary>Reads <paramref name="columnName"/> (a vector of <paramref name="size"/> floats) from <paramref name="row"/>.</summary>
    public FloatVectorFeaturizer(DataViewRow row, string columnName, int size)
    {
        _size = size;
        _getter = row.GetGetter<VBuffer<float>>(row.Schema[columnName]);
    }

    /// <inheritdoc/>
    public int Count { get; private set; }

    /// <inheritdoc/>
    public void Add(long rowIndex)
    {
        _getter(ref _buffer);
        foreach (float value in _buffer.DenseValues())
        {
            _values.Add(value);
        }
        Count++;
    }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> TakeBatch()
    {
        Tensor batch = tensor(_values.ToArray()).view(Count, _size);
        _values.Clear();
        Count = 0;
        return new[] { batch };
    }
}

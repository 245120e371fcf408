using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Options of <see cref="TinyMlpTrainer"/>: a float-vector feature column and a hidden width.</summary>
internal sealed class TinyMlpOptions : TorchTrainerOptions
{
    public string FeatureColumnName { get; set; } = "Features";

    public int Hidden { get; set; } = 32;
}

/// <summary>
/// A third trainer on the engine's base classes (neither the image nor the text trainer): a one-hidden-layer MLP over
/// a float vector. It shows the search is generic over <see cref="TorchClassificationTrainer{TOptions}"/> and trains
/// in well under a second per epoch, which keeps the search tests fast.
/// </summary>
internal sealed class TinyMlpTrainer : TorchClassificationTrainer<TinyMlpOptions>
{
    public TinyMlpTrainer(MLContext ml, TinyMlpOptions options) : base((IHostEnvironment)ml, options, nameof(TinyMlpTrainer))
    {
    }

    protected override void CheckInputShape(SchemaShape inputSchema)
    {
        // SchemaShape is enumerable; its lookup methods are internal to ML.NET.
        if (!System.Linq.Enumerable.Any(inputSchema, c => c.Name == Options.FeatureColumnName && c.Kind == SchemaShape.Column.VectorKind.Vector))
        {
            throw new ArgumentException($"Feature column '{Options.FeatureColumnName}' must be a float vector.");
        }
    }

    protected override ITrainingSet ReadTrainingSet(IDataView data, LabelKeyInfo labels, IChannel channel)
    {
        DataViewSchema.Column features = data.Schema[Options.FeatureColumnName];
        DataViewSchema.Column label = data.Schema[Options.LabelColumnName];
        int size = ((VectorDataViewType)features.Type).Size;
        var rows = new List<float[]>();
        var classes = new List<int>();
        using DataViewRowCursor cursor = data.GetRowCursor(new[] { features, label });
        ValueGetter<VBuffer<float>> getFeatures = cursor.GetGetter<VBuffer<float>>(features);
        ValueGetter<uint> getLabel = cursor.GetGetter<uint>(label);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getFeatures(ref buffer);
            var dense = new float[size];
            buffer.CopyTo(dense);
            rows.Add(dense);
            classes.Add(ReadClass(getLabel, cursor.Position));
        }
        return new DenseSet(rows.ToArray(), classes.ToArray(), size);
    }

    protected override TorchClassificationModel CreateModel(LabelKeyInfo labels, ITrainingSet trainingSet, IChannel channel)
        => new TinyMlpModel(Options.FeatureColumnName, ((DenseSet)trainingSet).Size, Options.Hidden, labels.ClassCount);

    private sealed class DenseSet : ITrainingSet
    {
        private readonly float[][] _rows;
        private readonly int[] _labels;

        public DenseSet(float[][] rows, int[] labels, int size)
        {
            _rows = rows;
            _labels = labels;
            Size = size;
        }

        public int Size { get; }

        public int Count => _rows.Length;

        public int GetLabel(int index) => _labels[index];

        public IReadOnlyList<Tensor> Collate(ReadOnlySpan<int> indices, bool augment, Random random)
        {
            var flat = new float[indices.Length * Size];
            for (int i = 0; i < indices.Length; i++)
            {
                _rows[indices[i]].CopyTo(flat, i * Size);
            }
            return new[] { tensor(flat).view(indices.Length, Size) };
        }

        public ITrainingSet Subset(int[] indices)
            => new DenseSet(Array.ConvertAll(indices, i => _rows[i]), Array.ConvertAll(indices, i => _labels[i]), Size);
    }
}

/// <summary>Linear → ReLU → linear over a float vector.</summary>
internal sealed class TinyMlpModel : TorchClassificationModel
{
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly string _featureColumn;
    private readonly int _size;

    public TinyMlpModel(string featureColumn, int size, int hidden, int classCount) : base(classCount)
    {
        _featureColumn = featureColumn;
        _size = size;
        _network = nn.Sequential(nn.Linear(size, hidden), nn.ReLU(), nn.Linear(hidden, classCount));
    }

    public override nn.Module Network => _network;

    public override IReadOnlyList<string> InputColumnNames => new[] { _featureColumn };

    public override void CheckInputSchema(DataViewSchema schema)
    {
        if (schema.GetColumnOrNull(_featureColumn) is not { Type: VectorDataViewType { Size: int n } } || n != _size)
        {
            throw new ArgumentException($"Feature column '{_featureColumn}' must be a vector of {_size} floats.");
        }
    }

    public override IBatchFeaturizer CreateFeaturizer(DataViewRow row) => new Featurizer(this, row);

    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => _network.forward(inputs[0]);

    public override void Save(Stream stream) => throw new NotSupportedException("The test model is not saved.");

    private sealed class Featurizer : IBatchFeaturizer
    {
        private readonly TinyMlpModel _model;
        private readonly ValueGetter<VBuffer<float>> _getter;
        private readonly List<float> _values = new();
        private VBuffer<float> _buffer;

        public Featurizer(TinyMlpModel model, DataViewRow row)
        {
            _model = model;
            _getter = row.GetGetter<VBuffer<float>>(row.Schema[model._featureColumn]);
        }

        public int Count { get; private set; }

        public void Add(long rowIndex)
        {
            _getter(ref _buffer);
            foreach (float value in _buffer.DenseValues()) _values.Add(value);
            Count++;
        }

        public IReadOnlyList<Tensor> TakeBatch()
        {
            Tensor batch = tensor(_values.ToArray()).view(Count, _model._size);
            _values.Clear();
            Count = 0;
            return new[] { batch };
        }
    }
}

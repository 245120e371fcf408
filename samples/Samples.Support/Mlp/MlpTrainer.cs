using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.Torch;
using static TorchSharp.torch;

namespace Samples.Support;

/// <summary>
/// An MLP over a float vector, on the engine's base classes: small enough that a grid of a hundred runs
/// trains in minutes on two CPU cores, where even the smallest ResNet would take hours.
/// </summary>
public sealed class MlpTrainer : TorchClassificationTrainer<MlpOptions>
{
    /// <summary>Creates the trainer.</summary>
    public MlpTrainer(MLContext ml, MlpOptions options) : base((IHostEnvironment)ml, options, nameof(MlpTrainer))
    {
    }

    /// <inheritdoc/>
    protected override void CheckInputShape(SchemaShape inputSchema)
    {
        // SchemaShape is enumerable; its lookup methods are internal to ML.NET.
        if (!System.Linq.Enumerable.Any(inputSchema, c => c.Name == Options.FeatureColumnName && c.Kind == SchemaShape.Column.VectorKind.Vector))
        {
            throw new ArgumentException($"Feature column '{Options.FeatureColumnName}' must be a float vector.");
        }
    }

    /// <inheritdoc/>
    protected override TorchClassificationFit CreateFit(IDataView trainingData, IChannel channel)
    {
        if (trainingData.Schema.GetColumnOrNull(Options.FeatureColumnName)?.Type is not VectorDataViewType)
        {
            throw new ArgumentException($"Feature column '{Options.FeatureColumnName}' must be a float vector.");
        }
        return new MlpFit(Options);
    }

    /// <summary>One fit: reads the feature vectors and creates the MLP for their width.</summary>
    private sealed class MlpFit : TorchClassificationFit
    {
        private readonly MlpOptions _options;

        public MlpFit(MlpOptions options) : base(options.LabelColumnName) => _options = options;

        protected override ITrainingSet ReadTrainingSet(IDataView data, LabelKeyInfo labels, IChannel channel)
        {
            DataViewSchema.Column features = data.Schema[_options.FeatureColumnName];
            DataViewSchema.Column label = data.Schema[_options.LabelColumnName];
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
            => new MlpModel(_options.FeatureColumnName, ((DenseSet)trainingSet).Size, _options.Hidden, _options.HiddenLayers,
                _options.BatchNorm, labels.ClassCount);
    }

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

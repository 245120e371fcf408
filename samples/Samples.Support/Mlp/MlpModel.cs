using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Modules;
using static TorchSharp.torch;

namespace Samples.Support;

/// <summary>(Linear → [batch norm] → ReLU) × layers → linear, over a float vector.</summary>
public sealed class MlpModel : TorchClassificationModel
{
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly string _featureColumn;
    private readonly int _size;

    /// <summary>Creates the network over a <paramref name="size"/>-float vector in <paramref name="featureColumn"/>.</summary>
    public MlpModel(string featureColumn, int size, int hidden, int hiddenLayers, bool batchNorm, int classCount) : base(classCount)
    {
        _featureColumn = featureColumn;
        _size = size;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < hiddenLayers; i++)
        {
            layers.Add(nn.Linear(i == 0 ? size : hidden, hidden, hasBias: !batchNorm));
            if (batchNorm)
            {
                layers.Add(GcSafeBatchNorm.For1d(hidden));
            }
            layers.Add(nn.ReLU());
        }
        layers.Add(nn.Linear(hiddenLayers == 0 ? size : hidden, classCount));
        _network = nn.Sequential(layers);
    }

    /// <inheritdoc/>
    public override nn.Module Network => _network;

    /// <inheritdoc/>
    public override IReadOnlyList<string> InputColumnNames => new[] { _featureColumn };

    /// <inheritdoc/>
    public override void CheckInputSchema(DataViewSchema schema)
    {
        if (schema.GetColumnOrNull(_featureColumn) is not { Type: VectorDataViewType { Size: int n } } || n != _size)
        {
            throw new ArgumentException($"Feature column '{_featureColumn}' must be a vector of {_size} floats.");
        }
    }

    /// <inheritdoc/>
    public override IBatchFeaturizer CreateFeaturizer(DataViewRow row) => new FloatVectorFeaturizer(row, _featureColumn, _size);

    /// <inheritdoc/>
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => _network.forward(inputs[0]);

    /// <summary>Not supported: this MLP is for experiments and registers no loader, so a saved model could not be read back.</summary>
    public override void Save(Stream stream) => throw new NotSupportedException("This MLP is for experiments and is not saved.");
}

using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// The smallest real model the engine can host: a linear layer over a float-vector column. Its weights
/// are saved as a raw binary payload inside the ML.NET zip.
/// </summary>
internal sealed class LinearTestModel : TorchClassificationModel, ILoadableClassificationModel<LinearTestModel>
{
    private readonly TorchSharp.Modules.Linear _linear;

    public LinearTestModel(string featureColumn, int featureCount, int classCount) : base(classCount)
    {
        FeatureColumn = featureColumn;
        FeatureCount = featureCount;
        _linear = nn.Linear(featureCount, classCount);
    }

    public string FeatureColumn { get; }

    public int FeatureCount { get; }

    public override nn.Module Network => _linear;

    public override IReadOnlyList<string> InputColumnNames => new[] { FeatureColumn };

    public override void CheckInputSchema(DataViewSchema schema)
    {
        DataViewSchema.Column column = schema.GetColumnOrNull(FeatureColumn)
            ?? throw new ArgumentException($"Feature column '{FeatureColumn}' was not found.");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType n } v || n != NumberDataViewType.Single || v.Size != FeatureCount)
        {
            throw new ArgumentException($"Feature column '{FeatureColumn}' must be a vector of {FeatureCount} floats (was {column.Type}).");
        }
    }

    public override IBatchFeaturizer CreateFeaturizer(DataViewRow row) => new FloatVectorFeaturizer(row, FeatureColumn, FeatureCount);

    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => _linear.forward(inputs[0]);

    public override void Save(Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(FeatureColumn);
        writer.Write(FeatureCount);
        writer.Write(ClassCount);
        foreach (float value in _linear.weight!.data<float>().ToArray()) writer.Write(value);
        foreach (float value in _linear.bias!.data<float>().ToArray()) writer.Write(value);
    }

    public static LinearTestModel Load(Stream stream)
    {
        using var reader = new BinaryReader(stream);
        var model = new LinearTestModel(reader.ReadString(), reader.ReadInt32(), reader.ReadInt32());
        float[] weight = new float[model.FeatureCount * model.ClassCount];
        for (int i = 0; i < weight.Length; i++) weight[i] = reader.ReadSingle();
        float[] bias = new float[model.ClassCount];
        for (int i = 0; i < bias.Length; i++) bias[i] = reader.ReadSingle();
        using (no_grad())
        {
            model._linear.weight!.copy_(tensor(weight).view(model.ClassCount, model.FeatureCount));
            model._linear.bias!.copy_(tensor(bias));
        }
        return model;
    }
}

using System;
using System.IO;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Loads pretrained torchvision ResNet weights (a <c>state_dict</c> saved as safetensors, float32 or float16)
/// into a <see cref="ResNet"/> for fine-tuning. When the checkpoint's classifier has another class count
/// (or there is none), every other tensor loads strictly and the head <c>fc</c> is re-initialised.
/// </summary>
public static class ResNetPretrained
{
    private const string HeadPrefix = "fc.";

    /// <summary>Loads a checkpoint file into <paramref name="model"/>.</summary>
    /// <param name="model">The model; its topology must match the checkpoint's except for the class count.</param>
    /// <param name="path">The safetensors file.</param>
    /// <exception cref="CheckpointMismatchException">The backbone does not match (the message names the file and the tensors).</exception>
    public static ResNetPretrainedLoadResult Load(ResNet model, string path)
    {
        using var reader = new SafetensorsReader(path);
        return Load(model, reader);
    }

    /// <summary>Loads an open checkpoint into <paramref name="model"/>.</summary>
    /// <param name="model">The model; its topology must match the checkpoint's except for the class count.</param>
    /// <param name="reader">The checkpoint.</param>
    /// <exception cref="CheckpointMismatchException">The backbone does not match (the message names the file and the tensors).</exception>
    public static ResNetPretrainedLoadResult Load(ResNet model, SafetensorsReader reader)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reader);

        long[] modelHead = model.Classifier.weight!.shape;
        bool hasHead = reader.TryGetInfo("fc.weight", out SafetensorsTensorInfo head);
        int? checkpointClasses = hasHead ? checked((int)head.Shape[0]) : null;
        bool headFits = hasHead && head.Shape.SequenceEqual(modelHead)
            && reader.TryGetInfo("fc.bias", out SafetensorsTensorInfo bias) && bias.Shape.Count == 1 && bias.Shape[0] == modelHead[0];

        if (headFits)
        {
            CheckpointLoadReport full = ModuleCheckpoint.Load(model, reader);
            return new ResNetPretrainedLoadResult(full, false, checkpointClasses,
                $"Loaded {full.Loaded.Count} tensors from '{reader.SourceName}', including the {checkpointClasses}-class head.");
        }

        CheckpointLoadReport report = ModuleCheckpoint.Load(model, reader, new CheckpointLoadOptions { IgnorePrefixes = new[] { HeadPrefix } });
        model.ResetClassifier();
        string why = hasHead
            ? $"its classifier has {checkpointClasses} classes (shape {SafetensorsTensorInfo.FormatShape(head.Shape)}) and the model has {modelHead[0]} (shape {SafetensorsTensorInfo.FormatShape(modelHead)})"
            : "it has no classifier";
        return new ResNetPretrainedLoadResult(report, true, checkpointClasses,
            $"Loaded {report.Loaded.Count} backbone tensors from '{reader.SourceName}'; {why}, so the head 'fc' is re-initialised and trained from scratch.");
    }

    /// <summary>Loads a checkpoint from a stream (left open) into <paramref name="model"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">The safetensors data, from its current position; forward-only streams work.</param>
    /// <param name="sourceName">How messages name the data.</param>
    public static ResNetPretrainedLoadResult Load(ResNet model, Stream stream, string? sourceName = null)
    {
        using var reader = new SafetensorsReader(stream, sourceName, leaveOpen: true);
        return Load(model, reader);
    }

    /// <summary>
    /// Imports the backbone of an ONNX ResNet graph (ML.NET's pretrained <c>ResNet18.onnx</c>, from the NuGet package
    /// Microsoft.ML.DnnImageFeaturizer.ResNet18, into a <see cref="ResNetArchitecture.MLNetResNet18"/> model) by
    /// following the graph from its input; the head <c>fc</c> is left as it is. The stem's input channels are
    /// reversed from the graph's BGR to RGB.
    /// </summary>
    /// <param name="model">A BasicBlock model with the ImageNet stem and the graph's blocks, widths and padding.</param>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <returns>The number of tensors copied.</returns>
    /// <exception cref="InvalidDataException">The graph is not a ResNet of the model's topology; the message names the node and what differs.</exception>
    public static int LoadOnnx(ResNet model, string path) => ResNetOnnxImport.Load(model, path);
}

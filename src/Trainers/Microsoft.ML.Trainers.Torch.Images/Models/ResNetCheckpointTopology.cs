using System;
using System.Collections.Generic;
using System.IO;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>Reads a ResNet's topology off the tensor names and shapes of a torchvision-style checkpoint.</summary>
public static class ResNetCheckpointTopology
{
    /// <summary>
    /// Infers the configuration of the ResNet that produced a checkpoint: stages and blocks from the
    /// <c>layer{i}.{j}.</c> names, the block kind from <c>conv3</c>, width, input channels and stem from
    /// <c>conv1.weight</c> (a 7x7 kernel is torchvision's stem with max pooling, 3x3 the CIFAR stem without),
    /// and classes from <c>fc.weight</c>.
    /// </summary>
    /// <param name="reader">The checkpoint.</param>
    /// <exception cref="InvalidDataException">The checkpoint is not a ResNet state dict (the message names the file and what is missing).</exception>
    public static ResNetConfig Infer(SafetensorsReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        IReadOnlyList<long> stem = Require(reader, "conv1.weight", 4);
        IReadOnlyList<long> head = Require(reader, "fc.weight", 2);
        ResNetStem stemKind = stem[2] switch
        {
            7 => ResNetStem.ImageNet,
            3 => ResNetStem.Cifar,
            _ => throw new InvalidDataException(
                $"Checkpoint '{reader.SourceName}': 'conv1.weight' has a {stem[2]}x{stem[3]} kernel; a ResNet stem has 7x7 (ImageNet) or 3x3 (CIFAR)."),
        };

        var layers = new List<int>();
        while (reader.Contains($"layer{layers.Count + 1}.0.conv1.weight"))
        {
            int stage = layers.Count + 1;
            int blocks = 0;
            while (reader.Contains($"layer{stage}.{blocks}.conv1.weight"))
            {
                blocks++;
            }
            layers.Add(blocks);
        }
        if (layers.Count == 0)
        {
            throw new InvalidDataException($"Checkpoint '{reader.SourceName}' has no residual stages ('layer1.0.conv1.weight' is missing); it is not a ResNet state dict.");
        }

        var config = new ResNetConfig
        {
            Block = reader.Contains("layer1.0.conv3.weight") ? ResNetBlockKind.Bottleneck : ResNetBlockKind.Basic,
            Layers = layers,
            Stem = stemKind,
            BaseWidth = checked((int)stem[0]),
            InputChannels = checked((int)stem[1]),
            NumClasses = checked((int)head[0]),
        };
        config.Validate();
        return config;
    }

    private static IReadOnlyList<long> Require(SafetensorsReader reader, string name, int rank)
    {
        if (!reader.TryGetInfo(name, out SafetensorsTensorInfo info))
        {
            throw new InvalidDataException($"Checkpoint '{reader.SourceName}' has no '{name}'; it is not a torchvision ResNet state dict.");
        }
        if (info.Shape.Count != rank)
        {
            throw new InvalidDataException(
                $"Checkpoint '{reader.SourceName}': '{name}' has shape {SafetensorsTensorInfo.FormatShape(info.Shape)}; a ResNet's has {rank} dimensions.");
        }
        return info.Shape;
    }
}

using System.IO;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>Writes and reads a <see cref="ResNetConfig"/> in saved models.</summary>
internal static class ResNetConfigFormat
{
    public static void Write(BinaryWriter writer, ResNetConfig config)
    {
        writer.Write((int)config.Block);
        writer.Write(config.Layers.Count);
        foreach (int n in config.Layers)
        {
            writer.Write(n);
        }
        writer.Write((int)config.Stem);
        writer.Write(config.BaseWidth);
        writer.Write(config.NumClasses);
        writer.Write(config.InputChannels);
        writer.Write(config.ZeroInitResidual);
        writer.Write((int)config.Padding);
    }

    /// <param name="reader">The saved model's payload.</param>
    /// <param name="hasPadding">False for format-1 models, saved before <see cref="ResNetConfig.Padding"/> existed; they all pad symmetrically.</param>
    public static ResNetConfig Read(BinaryReader reader, bool hasPadding = true)
    {
        var block = (ResNetBlockKind)reader.ReadInt32();
        int stages = reader.ReadInt32();
        if (stages < 1 || stages > 8)
        {
            throw new InvalidDataException($"Saved ResNet has {stages} stages.");
        }
        int[] layers = Enumerable.Range(0, stages).Select(_ => reader.ReadInt32()).ToArray();
        var config = new ResNetConfig
        {
            Block = block,
            Layers = layers,
            Stem = (ResNetStem)reader.ReadInt32(),
            BaseWidth = reader.ReadInt32(),
            NumClasses = reader.ReadInt32(),
            InputChannels = reader.ReadInt32(),
            ZeroInitResidual = reader.ReadBoolean(),
            Padding = hasPadding ? (ResNetPadding)reader.ReadInt32() : ResNetPadding.Symmetric,
        };
        config.Validate();
        return config;
    }
}

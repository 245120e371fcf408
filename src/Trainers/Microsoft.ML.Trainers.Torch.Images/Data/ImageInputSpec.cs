using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// How rows become network input: the column and its kind, the tensor shape the network sees, and the
/// per-channel normalization. Fixed at training time and saved with the model, so scoring prepares
/// images exactly as training did.
/// </summary>
public sealed record ImageInputSpec
{
    /// <summary>The image column.</summary>
    public required string ColumnName { get; init; }

    /// <summary>How the column holds images.</summary>
    public required ImageColumnKind Kind { get; init; }

    /// <summary>Channels the network sees: 1 (grayscale) or 3 (RGB).</summary>
    public required int Channels { get; init; }

    /// <summary>Height in pixels after resizing.</summary>
    public required int Height { get; init; }

    /// <summary>Width in pixels after resizing.</summary>
    public required int Width { get; init; }

    /// <summary>Per-channel mean subtracted after scaling (bytes are scaled to [0, 1] first).</summary>
    public required float[] Mean { get; init; }

    /// <summary>Per-channel standard deviation divided by after subtracting the mean.</summary>
    public required float[] Std { get; init; }

    /// <summary>Values per image.</summary>
    public int PixelCount => Channels * Height * Width;

    internal void Write(BinaryWriter writer)
    {
        writer.Write(ColumnName);
        writer.Write((int)Kind);
        writer.Write(Channels);
        writer.Write(Height);
        writer.Write(Width);
        foreach (float[] values in new[] { Mean, Std })
        {
            writer.Write(values.Length);
            foreach (float v in values)
            {
                writer.Write(v);
            }
        }
    }

    internal static ImageInputSpec Read(BinaryReader reader)
    {
        string column = reader.ReadString();
        var kind = (ImageColumnKind)reader.ReadInt32();
        int channels = reader.ReadInt32(), height = reader.ReadInt32(), width = reader.ReadInt32();
        float[] ReadFloats()
        {
            int n = reader.ReadInt32();
            if (n != channels)
            {
                throw new InvalidDataException($"Saved normalization has {n} values for {channels} channels.");
            }
            return Enumerable.Range(0, n).Select(_ => reader.ReadSingle()).ToArray();
        }
        return new ImageInputSpec { ColumnName = column, Kind = kind, Channels = channels, Height = height, Width = width, Mean = ReadFloats(), Std = ReadFloats() };
    }

    /// <inheritdoc />
    public override string ToString()
        => string.Format(CultureInfo.InvariantCulture, "{0} ({1}) -> {2}x{3}x{4}, mean [{5}], std [{6}]", ColumnName, Kind, Channels, Height, Width,
            string.Join(", ", Mean.Select(m => m.ToString("G4", CultureInfo.InvariantCulture))),
            string.Join(", ", Std.Select(s => s.ToString("G4", CultureInfo.InvariantCulture))));
}

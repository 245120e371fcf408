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

    /// <summary>
    /// Evaluation preprocessing, in (0, 1]: 1 resizes each image to <see cref="Height"/> × <see cref="Width"/> (stretching
    /// it when the aspect ratios differ); below 1, torchvision's evaluation transform: the image is resized, keeping its
    /// aspect ratio, to cover <see cref="StoredHeight"/> × <see cref="StoredWidth"/> (the target divided by this ratio, so 256
    /// for 224 at 0.875), center-cropped to that, and the network sees the center <see cref="Height"/> × <see cref="Width"/>.
    /// Validation and scoring both apply it (saved with the model).
    /// </summary>
    public double EvaluationCropRatio { get; init; } = 1;

    /// <summary>
    /// Test-time augmentation: validation and scoring average the class probabilities of each image and its horizontal mirror
    /// (twice the scoring cost). Saved with the model.
    /// </summary>
    public bool TestTimeFlip { get; init; }

    /// <summary>
    /// Test-time crops, in pixels (0: off): validation and scoring also average the four corner crops of each image padded
    /// by this many pixels of black (zero before normalization, the fill of the training crop), torchvision's
    /// <c>FiveCrop</c> of the padded image; with <see cref="TestTimeFlip"/>, their mirrors too (<c>TenCrop</c>). Five (or ten)
    /// times the scoring cost. Saved with the model.
    /// </summary>
    public int TestTimeCropPadding { get; init; }

    /// <summary>The largest <see cref="TestTimeCropPadding"/> for an input: ¼ of its shorter side.</summary>
    internal static int MaxTestTimeCropPadding(int height, int width) => Math.Min(height, width) / 4;

    /// <summary>Values per image.</summary>
    public int PixelCount => Channels * Height * Width;

    /// <summary>Height at which images are decoded and held before the evaluation crop or the training augmentation.</summary>
    public int StoredHeight => StoredSide(Height);

    /// <summary>Width at which images are decoded and held before the evaluation crop or the training augmentation.</summary>
    public int StoredWidth => StoredSide(Width);

    /// <summary>Values per held image.</summary>
    public int StoredPixelCount => Channels * StoredHeight * StoredWidth;

    // 1e-9: 224 / 0.875 is 256 exactly, not 255.99999.
    private int StoredSide(int side) => EvaluationCropRatio >= 1 ? side : Math.Max(side, (int)Math.Floor(side / EvaluationCropRatio + 1e-9));

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
        writer.Write(EvaluationCropRatio);
        writer.Write(TestTimeFlip);
        writer.Write(TestTimeCropPadding);
    }

    /// <param name="reader">Positioned at the spec.</param>
    /// <param name="hasEvaluationCropRatio">False for models saved before <see cref="EvaluationCropRatio"/> (they resized).</param>
    /// <param name="hasTestTimeFlip">False for models saved before <see cref="TestTimeFlip"/> (they scored each image once).</param>
    /// <param name="hasTestTimeCropPadding">False for models saved before <see cref="TestTimeCropPadding"/> (they took no crops).</param>
    internal static ImageInputSpec Read(BinaryReader reader, bool hasEvaluationCropRatio = true, bool hasTestTimeFlip = true, bool hasTestTimeCropPadding = true)
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
        float[] mean = ReadFloats(), std = ReadFloats();
        double ratio = hasEvaluationCropRatio ? reader.ReadDouble() : 1;
        if (!(ratio > 0 && ratio <= 1))
        {
            throw new InvalidDataException($"Saved evaluation crop ratio {ratio} is not in (0, 1].");
        }
        bool testTimeFlip = hasTestTimeFlip && reader.ReadBoolean();
        int cropPadding = hasTestTimeCropPadding ? reader.ReadInt32() : 0;
        if (cropPadding < 0 || cropPadding > MaxTestTimeCropPadding(height, width))
        {
            throw new InvalidDataException($"Saved test-time crop padding {cropPadding} is not in [0, ¼ of the {height}x{width} input's shorter side].");
        }
        return new ImageInputSpec
        {
            ColumnName = column, Kind = kind, Channels = channels, Height = height, Width = width, Mean = mean, Std = std, EvaluationCropRatio = ratio,
            TestTimeFlip = testTimeFlip, TestTimeCropPadding = cropPadding,
        };
    }

    /// <inheritdoc />
    public override string ToString()
        => string.Format(CultureInfo.InvariantCulture, "{0} ({1}) -> {2}x{3}x{4}, mean [{5}], std [{6}]{7}{8}{9}", ColumnName, Kind, Channels, Height, Width,
            string.Join(", ", Mean.Select(m => m.ToString("G4", CultureInfo.InvariantCulture))),
            string.Join(", ", Std.Select(s => s.ToString("G4", CultureInfo.InvariantCulture))),
            EvaluationCropRatio < 1 ? string.Format(CultureInfo.InvariantCulture, ", center crop of {0}x{1} (ratio {2:G4})", StoredHeight, StoredWidth, EvaluationCropRatio) : "",
            TestTimeFlip ? ", scored with its mirror image" : "",
            TestTimeCropPadding > 0 ? string.Format(CultureInfo.InvariantCulture, ", and with the corner crops of it padded by {0} pixel{1}", TestTimeCropPadding, TestTimeCropPadding == 1 ? "" : "s") : "");
}

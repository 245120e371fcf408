using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Extensions.Tests;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SkiaSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images.Tests;

/// <summary>
/// With files and the ImageNet recipe, RandomResizedCrop draws from the whole decoded photo (torchvision's order), not
/// from the square it is held at for evaluation.
/// </summary>
[TestClass]
public sealed class RandomResizedCropFullPhotoTests
{
    /// <summary>A 16×64 gray PNG whose value is its column (0, 4, …, 252): a crop's values tell which columns it took.</summary>
    private static string WriteWideRamp(string folder)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(64, 16, SKColorType.Gray8, SKAlphaType.Opaque));
        Span<byte> pixels = bitmap.GetPixelSpan();
        for (int y = 0; y < 16; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                pixels[y * bitmap.RowBytes + x] = (byte)(4 * x);
            }
        }
        string path = Path.Combine(folder, "wide.png");
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    [TestMethod]
    public void CropsReachOutsideTheCenterSquareAndKeepThePhotosAspect()
    {
        string path = WriteWideRamp(TestData.NewTempDir());
        // 8×8 input at 0.5: evaluation holds the center 16×16 square (columns 24..39, values 96..156).
        var spec = new ImageInputSpec
        {
            ColumnName = "Path", Kind = ImageColumnKind.ImagePath, Channels = 1, Height = 8, Width = 8,
            Mean = new[] { 0f }, Std = new[] { 1f }, EvaluationCropRatio = 0.5,
        };
        // Square crops of 8–25% of the photo's area: 9–16 pixels a side, anywhere along its 64 columns.
        var pipeline = new ImageAugmentationPipeline(spec, new RandomResizedCrop(0.08, 0.25, 1, 1), 0, horizontalFlip: false, null, null);
        ImageTrainingSet set = ImageTrainingSet.FromPaths(new[] { path }, new[] { 0 }, pipeline);
        var random = new Random(3);
        float lowest = float.MaxValue, highest = float.MinValue;
        for (int draw = 0; draw < 200; draw++)
        {
            using var scope = NewDisposeScope();
            float[] values = set.Collate(new[] { 0 }, augment: true, random)[0].data<float>().ToArray();
            Assert.AreEqual(64, values.Length);
            // Rows are equal in this photo whatever the crop's height, so a square crop read from a square
            // resized copy would still be uniform down the columns: check that too.
            for (int x = 0; x < 8; x++)
            {
                Assert.AreEqual(values[x], values[56 + x], 1e-6, "every row of a crop of a row-constant photo is the same");
            }
            // A crop's width in the photo is its span of values: 9–16 columns (4 levels each) for these scales.
            float span = values.Max() - values.Min();
            Assert.IsTrue(span * 255 < 4 * 16 && span * 255 > 4 * 9 * 0.6,
                $"draw {draw}: the crop spans {span * 255 / 4:F1} columns; 9–16 of the 64-column photo expected");
            lowest = Math.Min(lowest, values.Min());
            highest = Math.Max(highest, values.Max());
        }
        Assert.IsTrue(lowest * 255 < 60, $"no crop reached the photo's left quarter (lowest value {lowest * 255:F0})");
        Assert.IsTrue(highest * 255 > 196, $"no crop reached the photo's right quarter (highest value {highest * 255:F0})");

        // Evaluation is unchanged: the center of the held square.
        using var evalScope = NewDisposeScope();
        float[] evaluation = set.Collate(new[] { 0 }, augment: false, random)[0].data<float>().ToArray();
        Assert.IsTrue(evaluation.Min() * 255 > 90 && evaluation.Max() * 255 < 162, "evaluation stays inside the center square");
    }
}

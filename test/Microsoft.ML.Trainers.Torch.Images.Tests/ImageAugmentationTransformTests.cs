using System;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The per-example transforms of Data/Augmentation against hand computations and invariants.</summary>
[TestClass]
public sealed class ImageAugmentationTransformTests
{
    private static float[] Ramp(int channels, int height, int width)
        => Enumerable.Range(0, channels * height * width).Select(i => (float)Math.Sin(i * 0.37) + i * 0.01f).ToArray();

    [TestMethod]
    public void BilinearHalvingIsTheAntialiasedOneThreeThreeOneFilter()
    {
        // Halving widens the triangle to 2 source pixels each side: taps 2x-1..2x+2 weigh 1, 3, 3, 1 (/8), as PIL's
        // BILINEAR and torchvision's antialias; at the borders the missing tap is dropped and the rest renormalized.
        // Plain bilinear would average the 2×2 block instead.
        float[] source = Ramp(2, 4, 6);
        var destination = new float[2 * 2 * 3];
        BilinearResize.ResizeRegion(source, 2, 4, 6, 0, 0, 4, 6, destination, 2, 3);
        static (int Index, double Weight)[] Taps(int output, int size)
        {
            var taps = new[] { (2 * output - 1, 1.0), (2 * output, 3.0), (2 * output + 1, 3.0), (2 * output + 2, 1.0) }
                .Where(t => t.Item1 >= 0 && t.Item1 < size).ToArray();
            double total = taps.Sum(t => t.Item2);
            return taps.Select(t => (t.Item1, t.Item2 / total)).ToArray();
        }
        for (int c = 0; c < 2; c++)
        {
            for (int y = 0; y < 2; y++)
            {
                for (int x = 0; x < 3; x++)
                {
                    double expected = 0;
                    foreach (var (row, wy) in Taps(y, 4))
                    {
                        foreach (var (column, wx) in Taps(x, 6))
                        {
                            expected += source[c * 24 + row * 6 + column] * wy * wx;
                        }
                    }
                    Assert.AreEqual(expected, destination[c * 6 + y * 3 + x], 1e-5);
                }
            }
        }
    }

    [TestMethod]
    public void RandomResizedCropWithFullScaleAndSquareRatioIsAResize()
    {
        float[] source = Ramp(3, 8, 8);
        var crop = new RandomResizedCrop(1, 1, 1, 1);
        var random = new Random(5);
        Assert.AreEqual((0, 0, 8, 8), crop.SampleRegion(8, 8, random));
        var cropped = new float[3 * 4 * 4];
        var resized = new float[3 * 4 * 4];
        crop.Apply(source, 3, 8, 8, cropped, 4, 4, random);
        BilinearResize.ResizeRegion(source, 3, 8, 8, 0, 0, 8, 8, resized, 4, 4);
        CollectionAssert.AreEqual(resized, cropped);
    }

    [TestMethod]
    public void RandomResizedCropRegionsStayInsideAndWithinScaleAndRatio()
    {
        var crop = new RandomResizedCrop();
        var random = new Random(11);
        for (int i = 0; i < 2000; i++)
        {
            var (top, left, h, w) = crop.SampleRegion(40, 60, random);
            Assert.IsTrue(top >= 0 && left >= 0 && top + h <= 40 && left + w <= 60, $"({top},{left},{h},{w})");
            double fraction = (double)h * w / (40 * 60);
            // Rounding of the sides moves the area by at most about one row and one column.
            Assert.IsTrue(fraction > 0.08 - 0.06 && fraction <= 1.0, $"area fraction {fraction}");
            double aspect = (double)w / h;
            bool fallback = (top, left, h, w) == (0, 0, 40, 60) || (h == 40 && w == 53);
            Assert.IsTrue(fallback || (aspect > 0.75 * 0.7 && aspect < 4.0 / 3 * 1.4), $"aspect {aspect}");
        }
    }

    [TestMethod]
    public void RandomResizedCropFallsBackToTheCenterWithTheRatioClamped()
    {
        // A scale no draw can fit (area > image because ratio forces a square larger than the short side): fallback.
        var crop = new RandomResizedCrop(1, 1, 1, 1);
        Assert.AreEqual((0, 5, 10, 10), crop.SampleRegion(10, 20, new Random(1)));
        Assert.AreEqual((5, 0, 10, 10), crop.SampleRegion(20, 10, new Random(1)));
    }

    [TestMethod]
    public void FlipTwiceIsIdentityAndOnceMirrorsEveryRow()
    {
        float[] source = Ramp(2, 3, 5);
        float[] image = (float[])source.Clone();
        HorizontalFlip.Mirror(image, 2, 3, 5);
        Assert.AreEqual(source[4], image[0]);
        Assert.AreEqual(source[15 + 2 * 5], image[15 + 2 * 5 + 4]);
        HorizontalFlip.Mirror(image, 2, 3, 5);
        CollectionAssert.AreEqual(source, image);
    }

    [TestMethod]
    public void EvaluationResizesTheShorterSideThenCentersTheCrop()
    {
        // 32×48 to 28×28 at 0.875: the shorter side stays 32, so the crop is the source's rows 2..29, columns 10..37.
        var evaluation = new ResizeCenterCrop(0.875);
        Assert.AreEqual((32, 48), evaluation.ResizedSize(32, 48, 28, 28));
        Assert.AreEqual((2, 10, 28, 28), evaluation.SourceRegion(32, 48, 28, 28));
        float[] source = Ramp(1, 32, 48);
        var destination = new float[28 * 28];
        evaluation.Apply(source, 1, 32, 48, destination, 28, 28);
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                Assert.AreEqual(source[(y + 2) * 48 + x + 10], destination[y * 28 + x], 1e-6);
            }
        }
        // torchvision's ImageNet numbers: 224 from a 256-short-side resize.
        Assert.AreEqual((256, 384), evaluation.ResizedSize(480, 720, 224, 224));
    }

    [TestMethod]
    public void RandomErasingZeroesOneRectangleInsideTheImageWithinTheAreaBounds()
    {
        var erasing = new RandomErasing(probability: 1);
        var random = new Random(2);
        int erased = 0;
        for (int i = 0; i < 300; i++)
        {
            float[] image = Enumerable.Repeat(1f, 3 * 16 * 20).ToArray();
            var region = erasing.Apply(image, 3, 16, 20, random);
            if (region is null)
            {
                continue;
            }
            erased++;
            var (top, left, h, w) = region.Value;
            Assert.IsTrue(top >= 0 && left >= 0 && top + h <= 16 && left + w <= 20 && h < 16 && w < 20);
            Assert.AreEqual(3 * h * w, image.Count(v => v == 0f));
            double fraction = (double)h * w / (16 * 20);
            Assert.IsTrue(fraction >= 0.02 * 0.3 && fraction <= 0.33 * 1.6, $"fraction {fraction}");
        }
        Assert.IsTrue(erased > 250, $"erased only {erased} of 300 at p = 1");
        float[] untouched = Enumerable.Repeat(1f, 16).ToArray();
        Assert.IsNull(new RandomErasing(probability: 0).Apply(untouched, 1, 4, 4, random));
        Assert.IsTrue(untouched.All(v => v == 1f));
    }

    [TestMethod]
    public void PaddingIsRelativeAndTooMuchIsRefusedNamingTheOption()
    {
        var crop = new PaddedRandomCrop();
        Assert.AreEqual(4, crop.PaddingFor(32));
        Assert.AreEqual(1, crop.PaddingFor(8));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new PaddedRandomCrop(0.3));
        StringAssert.Contains(error.Message, "CropPaddingFraction");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RandomResizedCrop(0.5, 0.2)).Message,
            "RandomResizedCropScale");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ResizeCenterCrop(1.5)).Message,
            "EvaluationCropRatio");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RandomErasing(minScale: 0)).Message,
            "RandomErasingScale");
    }

    [TestMethod]
    public void PaddedCropOnAnEightPixelImageKeepsMostOfTheImage()
    {
        // At 8×8 the relative padding is 1 pixel: every crop keeps at least 7×7 of the 8×8 source.
        var crop = new PaddedRandomCrop();
        var random = new Random(4);
        float[] source = Enumerable.Repeat(1f, 64).ToArray();
        var destination = new float[64];
        for (int i = 0; i < 200; i++)
        {
            crop.Apply(source, 1, 8, 8, destination, flip: true, random);
            Assert.IsTrue(destination.Count(v => v == 1f) >= 49);
        }
    }

    private static ImageInputSpec Spec(int channels, int height, int width, double ratio = 1) => new()
    {
        ColumnName = "Image", Kind = ImageColumnKind.EncodedBytes, Channels = channels, Height = height, Width = width,
        Mean = Enumerable.Repeat(0.5f, channels).ToArray(), Std = Enumerable.Repeat(0.25f, channels).ToArray(), EvaluationCropRatio = ratio,
    };

    [TestMethod]
    public void PipelineTrainsAndEvaluatesAtTheTargetSize()
    {
        // 16×16 at 0.8: images are held at 20×20 and evaluation is their center 16×16 (offset 2).
        ImageInputSpec spec = Spec(3, 16, 16, 0.8);
        Assert.AreEqual((20, 20), (spec.StoredHeight, spec.StoredWidth));
        float[] stored = Ramp(3, 20, 20);
        var pipeline = new ImageAugmentationPipeline(spec, new RandomResizedCrop(), 0, horizontalFlip: true,
            new TrivialAugmentWide(), new RandomErasing(probability: 1, randomValues: true));
        var first = new float[spec.PixelCount];
        var second = new float[spec.PixelCount];
        pipeline.Train(stored, first, new Random(9));
        pipeline.Train(stored, second, new Random(9));
        Assert.IsTrue(first.All(float.IsFinite));
        CollectionAssert.AreEqual(first, second, "same seed, same example");
        var evaluation = new float[spec.PixelCount];
        ImageAugmentationPipeline.Evaluate(stored, spec, evaluation);
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 16; y++)
            {
                for (int x = 0; x < 16; x++)
                {
                    Assert.AreEqual(stored[c * 400 + (y + 2) * 20 + x + 2], evaluation[c * 256 + y * 16 + x]);
                }
            }
        }
        var none = new float[spec.PixelCount];
        ImageAugmentationPipeline.None(spec).Train(stored, none, new Random(1));
        CollectionAssert.AreEqual(evaluation, none, "no augmentation trains on the evaluation image");
        Assert.IsFalse(ImageAugmentationPipeline.None(spec).IsRandom);
    }

    [TestMethod]
    public void CenterCropOffsetsRoundHalfToEvenAsTorchvision()
    {
        // 7 from 8 at 0.875: (8 - 7) / 2 = 0.5 rounds to 0, as Python's round in torchvision's CenterCrop.
        ImageInputSpec spec = Spec(1, 7, 7, 0.875);
        Assert.AreEqual(8, spec.StoredHeight);
        float[] stored = Ramp(1, 8, 8);
        var evaluation = new float[49];
        ImageAugmentationPipeline.Evaluate(stored, spec, evaluation);
        Assert.AreEqual(stored[0], evaluation[0]);
        Assert.AreEqual(stored[6 * 8 + 6], evaluation[48]);
        // torchvision's ImageNet numbers: 224 held at 256.
        Assert.AreEqual(256, Spec(3, 224, 224, 0.875).StoredWidth);
    }

    [TestMethod]
    public void CifarPipelineKeepsTheOriginalCropAndFlipDraws()
    {
        ImageInputSpec spec = Spec(1, 8, 8);
        float[] stored = Ramp(1, 8, 8);
        var pipeline = new ImageAugmentationPipeline(spec, null, 1, horizontalFlip: true, null, null);
        var viaPipeline = new float[64];
        var direct = new float[64];
        pipeline.Train(stored, viaPipeline, new Random(4));
        ImageAugmentation.CropAndFlip(stored, direct, 1, 8, 8, 1, true, new Random(4));
        CollectionAssert.AreEqual(direct, viaPipeline);
    }

    [TestMethod]
    public void ErasingBeforeNormalizationFillsTheMeanWhichNormalizesToZero()
    {
        ImageInputSpec spec = Spec(2, 12, 12);
        float[] image = Enumerable.Repeat(0.9f, spec.PixelCount).ToArray();
        var region = new RandomErasing(probability: 1).Apply(image, 2, 12, 12, new Random(3), spec.Mean, spec.Std);
        Assert.IsNotNull(region);
        var (top, left, h, w) = region.Value;
        Assert.AreEqual(2 * h * w, image.Count(v => v == 0.5f));
        Assert.AreEqual(0f, (image[top * 12 + left] - spec.Mean[0]) / spec.Std[0]);
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Measures the trainer's image loader alone (files decoded, resized, augmented and collated into batches exactly as
/// training does, no network), to tell whether a run is bound by loading or by compute.
/// </summary>
public static class ImageLoaderBenchmark
{
    /// <summary>Loads the files at <paramref name="paths"/> once, in training batches with augmentation, and returns images per second.</summary>
    /// <param name="paths">Image files.</param>
    /// <param name="channels">Channels the network sees (1 or 3).</param>
    /// <param name="height">Height the images are resized to.</param>
    /// <param name="width">Width the images are resized to.</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <param name="cropPadding">Random-crop padding, in pixels (<see cref="ImageClassificationTrainerOptions.CropPadding"/> resolved for the image size).</param>
    public static double Measure(IReadOnlyList<string> paths, int channels, int height, int width, int batchSize = 32, int cropPadding = 4)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0 || batchSize < 1 || channels is not (1 or 3) || height < 1 || width < 1)
        {
            throw new ArgumentException($"Measure needs at least one path, batchSize >= 1, 1 or 3 channels and a positive size (got {paths.Count} paths, batch {batchSize}, {channels}x{height}x{width}).");
        }
        var spec = new ImageInputSpec
        {
            ColumnName = "ImagePath", Kind = ImageColumnKind.ImagePath, Channels = channels, Height = height, Width = width,
            Mean = new float[channels], Std = Enumerable.Repeat(1f, channels).ToArray(),
        };
        ImageTrainingSet set = ImageTrainingSet.FromPaths(paths.ToArray(), new int[paths.Count],
            new ImageAugmentationPipeline(spec, null, cropPadding, horizontalFlip: true, null, null));
        var random = new Random(1);
        int[] order = Enumerable.Range(0, set.Count).ToArray();
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            set.Collate(order.AsSpan(start, Math.Min(batchSize, order.Length - start)), augment: true, random);
        }
        return set.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Loads the files at <paramref name="paths"/> once, in batches prepared as a recipe trains (<paramref name="augment"/>)
    /// or evaluates them, and returns images per second.
    /// </summary>
    /// <param name="paths">Image files.</param>
    /// <param name="channels">Channels the network sees (1 or 3).</param>
    /// <param name="height">Network input height.</param>
    /// <param name="width">Network input width.</param>
    /// <param name="augmentation">The training recipe: <see cref="ImageAugmentationPreset.ImageNet"/> draws a RandomResizedCrop of each photo and flips it.</param>
    /// <param name="evaluationCropRatio">As <see cref="ImageInputSpec.EvaluationCropRatio"/> (the ImageNet recipe's default is 0.875).</param>
    /// <param name="augment">True: training batches; false: evaluation batches (resize and center crop only).</param>
    /// <param name="batchSize">Images per batch.</param>
    public static double Measure(IReadOnlyList<string> paths, int channels, int height, int width, ImageAugmentationPreset augmentation,
        double evaluationCropRatio, bool augment, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0 || batchSize < 1 || channels is not (1 or 3) || height < 1 || width < 1)
        {
            throw new ArgumentException($"Measure needs at least one path, batchSize >= 1, 1 or 3 channels and a positive size (got {paths.Count} paths, batch {batchSize}, {channels}x{height}x{width}).");
        }
        var spec = new ImageInputSpec
        {
            ColumnName = "ImagePath", Kind = ImageColumnKind.ImagePath, Channels = channels, Height = height, Width = width,
            Mean = new float[channels], Std = Enumerable.Repeat(1f, channels).ToArray(), EvaluationCropRatio = evaluationCropRatio,
        };
        RandomResizedCrop? crop = augmentation == ImageAugmentationPreset.ImageNet ? new RandomResizedCrop() : null;
        ImageTrainingSet set = ImageTrainingSet.FromPaths(paths.ToArray(), new int[paths.Count],
            new ImageAugmentationPipeline(spec, crop, crop is null ? 4 : 0, horizontalFlip: true, null, null));
        var random = new Random(1);
        int[] order = Enumerable.Range(0, set.Count).ToArray();
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            set.Collate(order.AsSpan(start, Math.Min(batchSize, order.Length - start)), augment, random);
        }
        return set.Count / clock.Elapsed.TotalSeconds;
    }
}

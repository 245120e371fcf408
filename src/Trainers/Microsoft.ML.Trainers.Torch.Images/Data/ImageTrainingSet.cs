using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Images held in memory at <see cref="ImageInputSpec.StoredHeight"/> × <see cref="ImageInputSpec.StoredWidth"/> (bytes for
/// decoded images, floats for float vectors), or only their file paths (decoded batch by batch on worker threads, so memory
/// does not grow with the number of images), collated into normalized batches: augmented by the
/// <see cref="ImageAugmentationPipeline"/> for training, its evaluation crop otherwise. With files and the ImageNet recipe,
/// training decodes each photo at its own size so the RandomResizedCrop draws from the whole photo.
/// </summary>
internal sealed class ImageTrainingSet : ITrainingSet
{
    private readonly byte[]? _bytes;
    private readonly float[]? _floats;
    private readonly string[]? _paths;
    private readonly int[] _labels;
    private readonly int[] _rows;
    private readonly ImageInputSpec _spec;
    private readonly ImageAugmentationPipeline _pipeline;

    private ImageTrainingSet(byte[]? bytes, float[]? floats, string[]? paths, int[] labels, int[] rows, ImageInputSpec spec, ImageAugmentationPipeline pipeline)
    {
        _bytes = bytes;
        _floats = floats;
        _paths = paths;
        _labels = labels;
        _rows = rows;
        _spec = spec;
        _pipeline = pipeline;
    }

    /// <summary>Images decoded to bytes (CHW, one block of <see cref="ImageInputSpec.StoredPixelCount"/> per image).</summary>
    public static ImageTrainingSet FromBytes(byte[] pixels, int[] labels, ImageAugmentationPipeline pipeline)
        => new(pixels, null, null, labels, Identity(labels.Length), pipeline.Spec, pipeline);

    /// <summary>Images given as float vectors (CHW).</summary>
    public static ImageTrainingSet FromFloats(float[] pixels, int[] labels, ImageAugmentationPipeline pipeline)
        => new(null, pixels, null, labels, Identity(labels.Length), pipeline.Spec, pipeline);

    /// <summary>Image files, decoded and resized when a batch draws them.</summary>
    public static ImageTrainingSet FromPaths(string[] paths, int[] labels, ImageAugmentationPipeline pipeline)
        => new(null, null, paths, labels, Identity(labels.Length), pipeline.Spec, pipeline);

    public int Count => _rows.Length;

    /// <summary>The same images prepared with another input spec (e.g. once normalization is known).</summary>
    public ImageTrainingSet WithSpec(ImageInputSpec spec) => new(_bytes, _floats, _paths, _labels, _rows, spec, _pipeline.WithSpec(spec));

    public ImageInputSpec Spec => _spec;

    /// <inheritdoc />
    public bool Augments => _pipeline.IsRandom;

    /// <inheritdoc />
    public MixedBatch? Mix(IReadOnlyList<Tensor> inputs, Tensor labels, int classCount, Random random)
        => _pipeline.Mixup?.Apply(inputs, labels, classCount, random);

    public int GetLabel(int index) => _labels[_rows[index]];

    public ITrainingSet Subset(int[] indices)
    {
        int[] rows = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            rows[i] = _rows[indices[i]];
        }
        return new ImageTrainingSet(_bytes, _floats, _paths, _labels, rows, _spec, _pipeline);
    }

    public IReadOnlyList<Tensor> Collate(ReadOnlySpan<int> indices, bool augment, Random random)
    {
        int n = _spec.PixelCount, stored = _spec.StoredPixelCount, count = indices.Length;
        bool anyAugmentation = augment && _pipeline.IsRandom;
        int[] rows = new int[count];
        for (int i = 0; i < count; i++)
        {
            rows[i] = _rows[indices[i]];
        }
        float[] batch;
        if (anyAugmentation && _paths != null && _pipeline.RandomResizedCrop is not null)
        {
            batch = new float[count * n];
            CollateDecoded(rows, batch, random);
        }
        else
        {
            batch = CollateHeld(rows, anyAugmentation, random);
        }
        Tensor images = tensor(batch, new long[] { count, _spec.Channels, _spec.Height, _spec.Width });
        return new[] { ImageNormalization.Apply(images, _spec) };
    }

    /// <summary>Batch values from the held images (or files decoded to the held size), augmented or center-cropped.</summary>
    private float[] CollateHeld(int[] rows, bool anyAugmentation, Random random)
    {
        int n = _spec.PixelCount, stored = _spec.StoredPixelCount, count = rows.Length;
        // Held pixels of the whole batch first (files decoded in parallel: decoding dominates when images are
        // read from disk), then augmentation or the evaluation crop in example order, so the random draws, and the
        // batch, do not depend on thread timing and match the in-memory sets' for the same seed.
        float[] raw = new float[count * stored];
        float[] batch = anyAugmentation || stored != n ? new float[count * n] : raw;
        if (_paths != null && count > 1)
        {
            Parallel.For(0, count, i => CopyRaw(rows[i], raw.AsSpan(i * stored, stored)));
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                CopyRaw(rows[i], raw.AsSpan(i * stored, stored));
            }
        }
        for (int i = 0; batch != raw && i < count; i++)
        {
            if (anyAugmentation)
            {
                _pipeline.Train(raw.AsSpan(i * stored, stored), batch.AsSpan(i * n, n), random);
            }
            else
            {
                ImageAugmentationPipeline.Evaluate(raw.AsSpan(i * stored, stored), _spec, batch.AsSpan(i * n, n));
            }
        }
        return batch;
    }

    /// <summary>
    /// ImageNet-recipe training from files: each photo decoded at its own size (in parallel; see <see cref="DecodeCap"/>),
    /// then cropped, resized and augmented in example order, so the draws do not depend on thread timing.
    /// </summary>
    private void CollateDecoded(int[] rows, float[] batch, Random random)
    {
        int n = _spec.PixelCount, side = Math.Max(_spec.Height, _spec.Width);
        var images = new DecodedImage[rows.Length];
        Parallel.For(0, rows.Length, i =>
        {
            try
            {
                images[i] = ImagePixelReader.ReadFileFull(_paths![rows[i]], _spec.Channels, DecodeCap * side, 2 * DecodeCap * side);
            }
            catch (System.IO.InvalidDataException e)
            {
                throw new System.IO.InvalidDataException($"Row {rows[i]}: image column '{_spec.ColumnName}': {e.Message}", e);
            }
        });
        for (int i = 0; i < rows.Length; i++)
        {
            _pipeline.TrainFromDecoded(images[i], batch.AsSpan(i * n, n), random);
            images[i] = null!; // release the batch's photos as they are used
        }
    }

    /// <summary>
    /// Decoded photos are shrunk (antialiased, aspect ratio kept) when their shorter side exceeds this many times the input
    /// side (or their longer side twice that), to bound a batch's memory. At 4, even the smallest default crop (8% of
    /// the area: √0.08 ≈ 0.28 of each side) still spans more than the input side, so the cap never makes a crop upscale.
    /// </summary>
    internal const int DecodeCap = 4;

    /// <summary>Per-channel mean and standard deviation of the stored images, accumulated in float64.</summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        int channels = _spec.Channels, plane = _spec.StoredHeight * _spec.StoredWidth;
        double[] sum = new double[channels], sumSquares = new double[channels];
        float[] raw = new float[_spec.StoredPixelCount];
        foreach (int row in _rows)
        {
            CopyRaw(row, raw);
            for (int c = 0; c < channels; c++)
            {
                for (int i = c * plane; i < (c + 1) * plane; i++)
                {
                    double v = raw[i];
                    sum[c] += v;
                    sumSquares[c] += v * v;
                }
            }
        }
        double count = (double)_rows.Length * plane;
        float[] mean = new float[channels], std = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double m = sum[c] / count;
            mean[c] = (float)m;
            std[c] = (float)Math.Sqrt(Math.Max(sumSquares[c] / count - m * m, 1e-12));
        }
        return (mean, std);
    }

    /// <summary>The stored (or file's) image scaled to its natural range: bytes to [0, 1], floats unchanged.</summary>
    private void CopyRaw(int row, Span<float> destination)
    {
        int n = _spec.StoredPixelCount;
        if (_paths != null)
        {
            byte[] decoded = new byte[n];
            try
            {
                ImagePixelReader.ReadFile(_paths[row], _spec.Channels, _spec.StoredHeight, _spec.StoredWidth, decoded, coverCrop: _spec.EvaluationCropRatio < 1);
            }
            catch (System.IO.InvalidDataException e)
            {
                throw new System.IO.InvalidDataException($"Row {row}: image column '{_spec.ColumnName}': {e.Message}", e);
            }
            ImageEncoder.ScaleBytes(decoded, destination);
        }
        else if (_bytes != null)
        {
            ImageEncoder.ScaleBytes(_bytes.AsSpan(row * n, n), destination);
        }
        else
        {
            _floats.AsSpan(row * n, n).CopyTo(destination);
        }
    }

    private static int[] Identity(int n)
    {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++)
        {
            rows[i] = i;
        }
        return rows;
    }
}

using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Images held in memory at the network's input size (bytes for decoded images, floats for float
/// vectors), or only their file paths (decoded batch by batch on worker threads, so memory does not grow
/// with the number of images), collated into normalized, optionally augmented batches.
/// </summary>
internal sealed class ImageTrainingSet : ITrainingSet
{
    private readonly byte[]? _bytes;
    private readonly float[]? _floats;
    private readonly string[]? _paths;
    private readonly int[] _labels;
    private readonly int[] _rows;
    private readonly ImageInputSpec _spec;
    private readonly int _cropPadding;
    private readonly bool _horizontalFlip;

    private ImageTrainingSet(byte[]? bytes, float[]? floats, string[]? paths, int[] labels, int[] rows, ImageInputSpec spec, int cropPadding, bool horizontalFlip)
    {
        _bytes = bytes;
        _floats = floats;
        _paths = paths;
        _labels = labels;
        _rows = rows;
        _spec = spec;
        _cropPadding = cropPadding;
        _horizontalFlip = horizontalFlip;
    }

    /// <summary>Images decoded to bytes (CHW, one block of <see cref="ImageInputSpec.PixelCount"/> per image).</summary>
    public static ImageTrainingSet FromBytes(byte[] pixels, int[] labels, ImageInputSpec spec, int cropPadding, bool horizontalFlip)
        => new(pixels, null, null, labels, Identity(labels.Length), spec, cropPadding, horizontalFlip);

    /// <summary>Images given as float vectors (CHW).</summary>
    public static ImageTrainingSet FromFloats(float[] pixels, int[] labels, ImageInputSpec spec, int cropPadding, bool horizontalFlip)
        => new(null, pixels, null, labels, Identity(labels.Length), spec, cropPadding, horizontalFlip);

    /// <summary>Image files, decoded and resized when a batch draws them.</summary>
    public static ImageTrainingSet FromPaths(string[] paths, int[] labels, ImageInputSpec spec, int cropPadding, bool horizontalFlip)
        => new(null, null, paths, labels, Identity(labels.Length), spec, cropPadding, horizontalFlip);

    public int Count => _rows.Length;

    /// <summary>The same images prepared with another input spec (e.g. once normalization is known).</summary>
    public ImageTrainingSet WithSpec(ImageInputSpec spec) => new(_bytes, _floats, _paths, _labels, _rows, spec, _cropPadding, _horizontalFlip);

    public ImageInputSpec Spec => _spec;

    public int GetLabel(int index) => _labels[_rows[index]];

    public ITrainingSet Subset(int[] indices)
    {
        int[] rows = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            rows[i] = _rows[indices[i]];
        }
        return new ImageTrainingSet(_bytes, _floats, _paths, _labels, rows, _spec, _cropPadding, _horizontalFlip);
    }

    public IReadOnlyList<Tensor> Collate(ReadOnlySpan<int> indices, bool augment, Random random)
    {
        int n = _spec.PixelCount, count = indices.Length;
        float[] batch = new float[count * n];
        bool anyAugmentation = augment && (_cropPadding > 0 || _horizontalFlip);
        // Unaugmented pixels of the whole batch first (files decoded in parallel: decoding dominates when images are
        // read from disk), then augmentation in example order, so the random draws, and the batch, do not depend
        // on thread timing and match the in-memory sets' for the same seed.
        float[] raw = anyAugmentation ? new float[count * n] : batch;
        int[] rows = new int[count];
        for (int i = 0; i < count; i++)
        {
            rows[i] = _rows[indices[i]];
        }
        if (_paths != null && count > 1)
        {
            Parallel.For(0, count, i => CopyRaw(rows[i], raw.AsSpan(i * n, n)));
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                CopyRaw(rows[i], raw.AsSpan(i * n, n));
            }
        }
        if (anyAugmentation)
        {
            for (int i = 0; i < count; i++)
            {
                ImageAugmentation.CropAndFlip(raw.AsSpan(i * n, n), batch.AsSpan(i * n, n), _spec.Channels, _spec.Height, _spec.Width,
                    _cropPadding, _horizontalFlip, random);
            }
        }
        Tensor images = tensor(batch, new long[] { count, _spec.Channels, _spec.Height, _spec.Width });
        return new[] { ImageNormalization.Apply(images, _spec) };
    }

    /// <summary>Per-channel mean and standard deviation of the stored images, accumulated in float64.</summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        int channels = _spec.Channels, plane = _spec.Height * _spec.Width;
        double[] sum = new double[channels], sumSquares = new double[channels];
        float[] raw = new float[_spec.PixelCount];
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
        int n = _spec.PixelCount;
        if (_paths != null)
        {
            byte[] decoded = new byte[n];
            try
            {
                ImagePixelReader.ReadFile(_paths[row], _spec.Channels, _spec.Height, _spec.Width, decoded);
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

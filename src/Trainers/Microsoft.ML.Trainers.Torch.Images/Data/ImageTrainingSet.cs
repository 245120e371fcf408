using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Images held in memory at the network's input size (bytes for decoded images, floats for float
/// vectors), collated into normalized, optionally augmented batches.
/// </summary>
internal sealed class ImageTrainingSet : ITrainingSet
{
    private readonly byte[]? _bytes;
    private readonly float[]? _floats;
    private readonly int[] _labels;
    private readonly int[] _rows;
    private readonly ImageInputSpec _spec;
    private readonly int _cropPadding;
    private readonly bool _horizontalFlip;

    private ImageTrainingSet(byte[]? bytes, float[]? floats, int[] labels, int[] rows, ImageInputSpec spec, int cropPadding, bool horizontalFlip)
    {
        _bytes = bytes;
        _floats = floats;
        _labels = labels;
        _rows = rows;
        _spec = spec;
        _cropPadding = cropPadding;
        _horizontalFlip = horizontalFlip;
    }

    /// <summary>Images decoded to bytes (CHW, one block of <see cref="ImageInputSpec.PixelCount"/> per image).</summary>
    public static ImageTrainingSet FromBytes(byte[] pixels, int[] labels, ImageInputSpec spec, int cropPadding, bool horizontalFlip)
        => new(pixels, null, labels, Identity(labels.Length), spec, cropPadding, horizontalFlip);

    /// <summary>Images given as float vectors (CHW).</summary>
    public static ImageTrainingSet FromFloats(float[] pixels, int[] labels, ImageInputSpec spec, int cropPadding, bool horizontalFlip)
        => new(null, pixels, labels, Identity(labels.Length), spec, cropPadding, horizontalFlip);

    public int Count => _rows.Length;

    /// <summary>The same images prepared with another input spec (e.g. once normalization is known).</summary>
    public ImageTrainingSet WithSpec(ImageInputSpec spec) => new(_bytes, _floats, _labels, _rows, spec, _cropPadding, _horizontalFlip);

    public ImageInputSpec Spec => _spec;

    public int GetLabel(int index) => _labels[_rows[index]];

    public ITrainingSet Subset(int[] indices)
    {
        int[] rows = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            rows[i] = _rows[indices[i]];
        }
        return new ImageTrainingSet(_bytes, _floats, _labels, rows, _spec, _cropPadding, _horizontalFlip);
    }

    public IReadOnlyList<Tensor> Collate(ReadOnlySpan<int> indices, bool augment, Random random)
    {
        int n = _spec.PixelCount;
        float[] batch = new float[indices.Length * n];
        float[] raw = new float[n];
        bool anyAugmentation = augment && (_cropPadding > 0 || _horizontalFlip);
        for (int i = 0; i < indices.Length; i++)
        {
            Span<float> target = batch.AsSpan(i * n, n);
            Span<float> source = anyAugmentation ? raw : target;
            CopyRaw(_rows[indices[i]], source);
            if (anyAugmentation)
            {
                ImageAugmentation.CropAndFlip(raw, target, _spec.Channels, _spec.Height, _spec.Width, _cropPadding, _horizontalFlip, random);
            }
        }
        Tensor images = tensor(batch, new long[] { indices.Length, _spec.Channels, _spec.Height, _spec.Width });
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

    /// <summary>The stored image scaled to its natural range: bytes to [0, 1], floats unchanged.</summary>
    private void CopyRaw(int row, Span<float> destination)
    {
        int n = _spec.PixelCount;
        if (_bytes != null)
        {
            ReadOnlySpan<byte> source = _bytes.AsSpan(row * n, n);
            for (int i = 0; i < n; i++)
            {
                destination[i] = source[i] / 255f;
            }
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

using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// torchvision's <c>TrivialAugmentWide</c> (31 magnitude bins, nearest interpolation, fill 0): per image, one operation
/// drawn uniformly from <see cref="Operation"/>, a magnitude drawn uniformly from its bins and, for signed operations, a
/// sign drawn uniformly. Images are in [0, 1] and are rounded to bytes for the operation, which follows torchvision's
/// uint8 tensor functions (truncating blends, half-to-even rounding where torch rounds).
/// </summary>
internal sealed class TrivialAugmentWide
{
    /// <summary>torchvision's default <c>num_magnitude_bins</c>.</summary>
    public const int MagnitudeBins = 31;

    /// <summary>The operations, in torchvision's <c>_augmentation_space</c> order.</summary>
    public enum Operation
    {
        Identity, ShearX, ShearY, TranslateX, TranslateY, Rotate, Brightness, Color, Contrast, Sharpness, Posterize, Solarize,
        AutoContrast, Equalize,
    }

    private const int OperationCount = 14;

    /// <summary>Whether the operation has magnitude bins, and whether its magnitude gets a random sign.</summary>
    private static (bool Binned, bool Signed) Kind(Operation op) => op switch
    {
        Operation.Identity or Operation.AutoContrast or Operation.Equalize => (false, false),
        Operation.Posterize or Operation.Solarize => (true, false),
        _ => (true, true),
    };

    /// <summary>The magnitude of bin <paramref name="bin"/> (0..30), as torchvision's float32 <c>linspace</c> gives it.</summary>
    public static double Magnitude(Operation op, int bin)
    {
        double t = bin / (double)(MagnitudeBins - 1);
        return op switch
        {
            Operation.ShearX or Operation.ShearY or Operation.Brightness or Operation.Color or Operation.Contrast or Operation.Sharpness
                => (float)(0.99 * t),
            Operation.TranslateX or Operation.TranslateY => (float)(32.0 * t),
            Operation.Rotate => (float)(135.0 * t),
            // 8 - round(bin / ((bins - 1) / 6)): 8 bits down to 2.
            Operation.Posterize => 8 - (int)Math.Round(bin / ((MagnitudeBins - 1) / 6.0), MidpointRounding.ToEven),
            Operation.Solarize => (float)(255.0 * (1 - t)),
            _ => 0,
        };
    }

    /// <summary>Draws an operation and its signed magnitude.</summary>
    public static (Operation Op, double Magnitude) Sample(Random random)
    {
        var op = (Operation)random.Next(OperationCount);
        (bool binned, bool signed) = Kind(op);
        double magnitude = binned ? Magnitude(op, random.Next(MagnitudeBins)) : 0;
        if (signed && random.Next(2) == 1)
        {
            magnitude = -magnitude;
        }
        return (op, magnitude);
    }

    /// <summary>Applies one drawn operation to a [0, 1] channel-first image in place; returns what was applied.</summary>
    public (Operation Op, double Magnitude) Apply(Span<float> image, int channels, int height, int width, Random random)
    {
        (Operation op, double magnitude) = Sample(random);
        if (op == Operation.Identity)
        {
            return (op, magnitude);
        }
        int n = channels * height * width;
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++)
        {
            bytes[i] = (byte)Math.Clamp((int)Math.Round(image[i] * 255f), 0, 255);
        }
        ApplyOperation(bytes, channels, height, width, op, magnitude);
        ImageEncoder.ScaleBytes(bytes, image);
        return (op, magnitude);
    }

    /// <summary>One operation on a channel-first byte image, in place.</summary>
    public static void ApplyOperation(Span<byte> image, int channels, int height, int width, Operation op, double magnitude)
    {
        switch (op)
        {
            case Operation.Identity:
                break;
            case Operation.ShearX:
                // Shear about the top-left corner (center [0, 0]); the magnitude is the shear factor, hence atan.
                Affine(image, channels, height, width, 0, Math.Atan(magnitude) * 180 / Math.PI, 0, 0, 0, cornerCenter: true);
                break;
            case Operation.ShearY:
                Affine(image, channels, height, width, 0, 0, Math.Atan(magnitude) * 180 / Math.PI, 0, 0, cornerCenter: true);
                break;
            case Operation.TranslateX:
                Affine(image, channels, height, width, 0, 0, 0, (int)magnitude, 0, cornerCenter: false);
                break;
            case Operation.TranslateY:
                Affine(image, channels, height, width, 0, 0, 0, 0, (int)magnitude, cornerCenter: false);
                break;
            case Operation.Rotate:
                // F.rotate hands -angle to the inverse matrix: positive angles turn counter-clockwise.
                Affine(image, channels, height, width, -magnitude, 0, 0, 0, 0, cornerCenter: false);
                break;
            case Operation.Brightness:
                Blend(image, null, 0f, (float)(1 + magnitude));
                break;
            case Operation.Color:
                if (channels == 3)
                {
                    Blend(image, Grayscale(image, height * width, channels), 0f, (float)(1 + magnitude));
                }
                break;
            case Operation.Contrast:
                Blend(image, null, ContrastMean(image, channels, height * width), (float)(1 + magnitude));
                break;
            case Operation.Sharpness:
                if (height > 2 && width > 2)
                {
                    Blend(image, Smoothed(image, channels, height, width), 0f, (float)(1 + magnitude));
                }
                break;
            case Operation.Posterize:
                byte mask = (byte)(0xFF << (8 - (int)magnitude));
                for (int i = 0; i < image.Length; i++)
                {
                    image[i] &= mask;
                }
                break;
            case Operation.Solarize:
                for (int i = 0; i < image.Length; i++)
                {
                    if (image[i] >= magnitude)
                    {
                        image[i] = (byte)(255 - image[i]);
                    }
                }
                break;
            case Operation.AutoContrast:
                AutoContrast(image, channels, height * width);
                break;
            case Operation.Equalize:
                Equalize(image, channels, height * width);
                break;
        }
    }

    /// <summary>
    /// torchvision's <c>_blend</c>: <c>ratio · image + (1 − ratio) · other</c> in float32, clamped to [0, 255] and truncated;
    /// <paramref name="other"/> is per pixel (repeated over the channels when it has one plane), or the constant.
    /// </summary>
    private static void Blend(Span<byte> image, float[]? other, float constant, float ratio)
    {
        for (int i = 0; i < image.Length; i++)
        {
            float o = other is null ? constant : other[i % other.Length];
            image[i] = (byte)Math.Clamp(ratio * image[i] + (1f - ratio) * o, 0f, 255f);
        }
    }

    /// <summary><c>rgb_to_grayscale</c> on uint8: 0.2989 r + 0.587 g + 0.114 b, truncated to a byte.</summary>
    private static float[] Grayscale(ReadOnlySpan<byte> image, int plane, int channels)
    {
        float[] gray = new float[plane];
        for (int i = 0; i < plane; i++)
        {
            gray[i] = channels == 1 ? image[i] : (byte)(0.2989f * image[i] + 0.587f * image[plane + i] + 0.114f * image[2 * plane + i]);
        }
        return gray;
    }

    /// <summary><c>adjust_contrast</c>'s mean: of the (truncated) grayscale image, over all pixels.</summary>
    private static float ContrastMean(ReadOnlySpan<byte> image, int channels, int plane)
    {
        float[] gray = Grayscale(image, plane, channels);
        double sum = 0;
        foreach (float g in gray)
        {
            sum += g;
        }
        return (float)(sum / plane);
    }

    /// <summary><c>_blurred_degenerate_image</c>: the 3×3 kernel [1 1 1; 1 5 1; 1 1 1] / 13 inside, rounded; borders kept.</summary>
    private static float[] Smoothed(ReadOnlySpan<byte> image, int channels, int height, int width)
    {
        float[] result = new float[image.Length];
        for (int i = 0; i < image.Length; i++)
        {
            result[i] = image[i];
        }
        for (int c = 0; c < channels; c++)
        {
            int plane = c * height * width;
            for (int y = 1; y < height - 1; y++)
            {
                for (int x = 1; x < width - 1; x++)
                {
                    float sum = 0;
                    for (int dy = -1; dy <= 1; dy++)
                    {
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            sum += image[plane + (y + dy) * width + x + dx] * (dy == 0 && dx == 0 ? 5f / 13f : 1f / 13f);
                        }
                    }
                    result[plane + y * width + x] = MathF.Round(sum, MidpointRounding.ToEven);
                }
            }
        }
        return result;
    }

    /// <summary><c>autocontrast</c>: each channel stretched to [0, 255]; a constant channel is left as is.</summary>
    private static void AutoContrast(Span<byte> image, int channels, int plane)
    {
        for (int c = 0; c < channels; c++)
        {
            Span<byte> values = image.Slice(c * plane, plane);
            byte min = 255, max = 0;
            foreach (byte v in values)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            if (min == max)
            {
                continue;
            }
            float scale = 255f / (max - min);
            for (int i = 0; i < plane; i++)
            {
                values[i] = (byte)Math.Clamp((values[i] - (float)min) * scale, 0f, 255f);
            }
        }
    }

    /// <summary><c>equalize</c>: per-channel histogram equalization with torchvision's integer lookup table.</summary>
    private static void Equalize(Span<byte> image, int channels, int plane)
    {
        Span<long> histogram = stackalloc long[256];
        Span<byte> lut = stackalloc byte[256];
        for (int c = 0; c < channels; c++)
        {
            Span<byte> values = image.Slice(c * plane, plane);
            histogram.Clear();
            foreach (byte v in values)
            {
                histogram[v]++;
            }
            // step: the count of every non-zero bin but the last (highest) one, over 255.
            long nonZeroSum = 0, lastNonZero = 0;
            foreach (long h in histogram)
            {
                if (h != 0)
                {
                    nonZeroSum += h;
                    lastNonZero = h;
                }
            }
            long step = (nonZeroSum - lastNonZero) / 255;
            if (step == 0)
            {
                continue;
            }
            long cumulative = 0;
            for (int v = 0; v < 256; v++)
            {
                // The table is shifted by one: entry v uses the cumulative count below v.
                lut[v] = (byte)Math.Clamp((cumulative + step / 2) / step, 0, 255);
                cumulative += histogram[v];
            }
            for (int i = 0; i < plane; i++)
            {
                values[i] = lut[values[i]];
            }
        }
    }

    /// <summary>
    /// torchvision's tensor <c>affine</c>/<c>rotate</c> with nearest sampling and zero fill: each output pixel center,
    /// relative to the image center, is mapped through the inverse matrix of <c>_get_inverse_affine_matrix</c>.
    /// </summary>
    private static void Affine(Span<byte> image, int channels, int height, int width, double angle, double shearX, double shearY,
        int translateX, int translateY, bool cornerCenter)
    {
        double cx = cornerCenter ? -width * 0.5 : 0, cy = cornerCenter ? -height * 0.5 : 0;
        double rot = angle * Math.PI / 180, sx = shearX * Math.PI / 180, sy = shearY * Math.PI / 180;
        double a = Math.Cos(rot - sy) / Math.Cos(sy);
        double b = -Math.Cos(rot - sy) * Math.Tan(sx) / Math.Cos(sy) - Math.Sin(rot);
        double c = Math.Sin(rot - sy) / Math.Cos(sy);
        double d = -Math.Sin(rot - sy) * Math.Tan(sx) / Math.Cos(sy) + Math.Cos(rot);
        double m0 = d, m1 = -b, m3 = -c, m4 = a;
        double m2 = m0 * (-cx - translateX) + m1 * (-cy - translateY) + cx;
        double m5 = m3 * (-cx - translateX) + m4 * (-cy - translateY) + cy;
        byte[] source = image.ToArray();
        for (int y = 0; y < height; y++)
        {
            double py = y + 0.5 - height * 0.5;
            for (int x = 0; x < width; x++)
            {
                double px = x + 0.5 - width * 0.5;
                // Back to pixel indices (grid_sample, align_corners=False), rounded half to even as nearbyint.
                int ix = (int)Math.Round(m0 * px + m1 * py + m2 + width * 0.5 - 0.5, MidpointRounding.ToEven);
                int iy = (int)Math.Round(m3 * px + m4 * py + m5 + height * 0.5 - 0.5, MidpointRounding.ToEven);
                bool inside = ix >= 0 && ix < width && iy >= 0 && iy < height;
                for (int ch = 0; ch < channels; ch++)
                {
                    int plane = ch * height * width;
                    image[plane + y * width + x] = inside ? source[plane + iy * width + ix] : (byte)0;
                }
            }
        }
    }
}

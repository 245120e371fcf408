using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// torchvision's <c>RandomErasing</c>, applied after normalization: with probability <c>p</c>, up to 10 draws of an
/// area fraction in <c>scale</c> and a log-uniform aspect ratio in <c>ratio</c>; the first rectangle strictly smaller
/// than the image is filled with 0 or, when <c>randomValues</c>, with standard-normal noise per pixel.
/// </summary>
internal sealed class RandomErasing
{
    private const int Attempts = 10;

    public RandomErasing(double probability = 0.5, double minScale = 0.02, double maxScale = 0.33,
        double minRatio = 0.3, double maxRatio = 3.3, bool randomValues = false)
    {
        if (!(probability >= 0 && probability <= 1))
        {
            throw new ArgumentOutOfRangeException("RandomErasing", $"RandomErasing probability must be in [0, 1] (was {probability}).");
        }
        if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1))
        {
            throw new ArgumentOutOfRangeException("RandomErasingScale",
                $"RandomErasingScale must satisfy 0 < min ≤ max ≤ 1 (was ({minScale}, {maxScale})).");
        }
        if (!(minRatio > 0 && minRatio <= maxRatio && !double.IsInfinity(maxRatio)))
        {
            throw new ArgumentOutOfRangeException("RandomErasingRatio",
                $"RandomErasingRatio must satisfy 0 < min ≤ max (was ({minRatio}, {maxRatio})).");
        }
        Probability = probability;
        MinScale = minScale;
        MaxScale = maxScale;
        MinRatio = minRatio;
        MaxRatio = maxRatio;
        RandomValues = randomValues;
    }

    public double Probability { get; }
    public double MinScale { get; }
    public double MaxScale { get; }
    public double MinRatio { get; }
    public double MaxRatio { get; }
    public bool RandomValues { get; }

    /// <summary>Erases in place; returns the rectangle erased, or null when nothing was.</summary>
    /// <param name="image">One channel-first image.</param>
    /// <param name="channels">Its channels.</param>
    /// <param name="height">Its height.</param>
    /// <param name="width">Its width.</param>
    /// <param name="random">The draws.</param>
    /// <param name="mean">
    /// Per-channel values that normalization maps to 0, and <paramref name="std"/> the scale it divides by: erasing
    /// before normalization with <c>mean + std · value</c> equals torchvision's erasing after it (empty: 0 and 1).
    /// </param>
    /// <param name="std">Per-channel scale of the noise before normalization (empty: 1).</param>
    public (int Top, int Left, int Height, int Width)? Apply(Span<float> image, int channels, int height, int width, Random random,
        ReadOnlySpan<float> mean = default, ReadOnlySpan<float> std = default)
    {
        if (random.NextDouble() >= Probability)
        {
            return null;
        }
        double area = (double)height * width;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double eraseArea = area * (MinScale + (MaxScale - MinScale) * random.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * random.NextDouble());
            int h = (int)Math.Round(Math.Sqrt(eraseArea * aspect));
            int w = (int)Math.Round(Math.Sqrt(eraseArea / aspect));
            if (!(h < height && w < width) || h == 0 || w == 0)
            {
                continue;
            }
            int top = random.Next(0, height - h + 1);
            int left = random.Next(0, width - w + 1);
            for (int c = 0; c < channels; c++)
            {
                float offset = mean.IsEmpty ? 0f : mean[c], scale = std.IsEmpty ? 1f : std[c];
                for (int y = top; y < top + h; y++)
                {
                    Span<float> row = image.Slice(c * height * width + y * width + left, w);
                    if (RandomValues)
                    {
                        for (int x = 0; x < w; x++)
                        {
                            row[x] = offset + scale * StandardNormal(random);
                        }
                    }
                    else
                    {
                        row.Fill(offset);
                    }
                }
            }
            return (top, left, h, w);
        }
        return null;
    }

    private static float StandardNormal(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}

using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// torchvision's <c>RandomResizedCrop</c>: up to 10 draws of an area fraction in <c>scale</c> and a log-uniform aspect
/// ratio in <c>ratio</c>; the first crop that fits is resized (bilinear, antialiased when shrinking, as torchvision) to the target size; if none fits,
/// the largest center crop whose aspect ratio is clamped into <c>ratio</c>.
/// </summary>
internal sealed class RandomResizedCrop
{
    private const int Attempts = 10;

    public RandomResizedCrop(double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4.0, double maxRatio = 4.0 / 3.0)
    {
        if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1))
        {
            throw new ArgumentOutOfRangeException("RandomResizedCropScale",
                $"RandomResizedCropScale must satisfy 0 < min ≤ max ≤ 1 (was ({minScale}, {maxScale})).");
        }
        if (!(minRatio > 0 && minRatio <= maxRatio && !double.IsInfinity(maxRatio)))
        {
            throw new ArgumentOutOfRangeException("RandomResizedCropRatio",
                $"RandomResizedCropRatio must satisfy 0 < min ≤ max (was ({minRatio}, {maxRatio})).");
        }
        MinScale = minScale;
        MaxScale = maxScale;
        MinRatio = minRatio;
        MaxRatio = maxRatio;
    }

    public double MinScale { get; }
    public double MaxScale { get; }
    public double MinRatio { get; }
    public double MaxRatio { get; }

    /// <summary>The crop rectangle (top, left, height, width), drawn as torchvision's <c>get_params</c> does.</summary>
    public (int Top, int Left, int Height, int Width) SampleRegion(int height, int width, Random random)
    {
        double area = (double)height * width;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double targetArea = area * (MinScale + (MaxScale - MinScale) * random.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * random.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect));
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int top = random.Next(0, height - h + 1);
                int left = random.Next(0, width - w + 1);
                return (top, left, h, w);
            }
        }
        return CenterFallback(height, width);
    }

    private (int, int, int, int) CenterFallback(int height, int width)
    {
        double inRatio = (double)width / height;
        int w, h;
        if (inRatio < MinRatio)
        {
            w = width;
            h = Math.Max(1, Math.Min(height, (int)Math.Round(w / MinRatio)));
        }
        else if (inRatio > MaxRatio)
        {
            h = height;
            w = Math.Max(1, Math.Min(width, (int)Math.Round(h * MaxRatio)));
        }
        else
        {
            w = width;
            h = height;
        }
        return ((height - h) / 2, (width - w) / 2, h, w);
    }

    public void Apply(ReadOnlySpan<float> source, int sourceChannels, int sourceHeight, int sourceWidth,
        Span<float> destination, int height, int width, Random random)
    {
        var (top, left, h, w) = SampleRegion(sourceHeight, sourceWidth, random);
        BilinearResize.ResizeRegion(source, sourceChannels, sourceHeight, sourceWidth, top, left, h, w, destination, height, width);
    }
}

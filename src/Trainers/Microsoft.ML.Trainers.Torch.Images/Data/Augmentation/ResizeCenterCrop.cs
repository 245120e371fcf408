using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Evaluation preprocessing of torchvision's ImageNet recipe: resize the shorter side to
/// target / <c>cropRatio</c> (256 for 224 at the default 0.875), keeping the aspect ratio, then center-crop the target.
/// Bilinear, antialiased when shrinking (as PIL and torchvision's <c>antialias=True</c>).
/// </summary>
internal sealed class ResizeCenterCrop
{
    public ResizeCenterCrop(double cropRatio = 0.875)
    {
        if (!(cropRatio > 0 && cropRatio <= 1))
        {
            throw new ArgumentOutOfRangeException("EvaluationCropRatio",
                $"EvaluationCropRatio must be in (0, 1] (was {cropRatio}).");
        }
        CropRatio = cropRatio;
    }

    public double CropRatio { get; }

    /// <summary>Size of the source after the shorter-side resize (torchvision <c>Resize(int)</c>: the longer side truncates).</summary>
    public (int Height, int Width) ResizedSize(int sourceHeight, int sourceWidth, int height, int width)
    {
        int shorter = Math.Max(Math.Max(height, width), (int)Math.Floor(Math.Min(height, width) / CropRatio + 1e-9));
        return sourceHeight <= sourceWidth
            ? (shorter, Math.Max(width, (int)((long)shorter * sourceWidth / sourceHeight)))
            : (Math.Max(height, (int)((long)shorter * sourceHeight / sourceWidth)), shorter);
    }

    /// <summary>
    /// The source rectangle that lands in the center crop; resizing it straight to the target equals resize-then-crop up
    /// to the sampling grid, and avoids the intermediate image.
    /// </summary>
    public (int Top, int Left, int Height, int Width) SourceRegion(int sourceHeight, int sourceWidth, int height, int width)
    {
        var (rh, rw) = ResizedSize(sourceHeight, sourceWidth, height, width);
        int cropTop = (int)Math.Round((rh - height) / 2.0);
        int cropLeft = (int)Math.Round((rw - width) / 2.0);
        double sy = (double)sourceHeight / rh, sx = (double)sourceWidth / rw;
        int top = (int)Math.Round(cropTop * sy), left = (int)Math.Round(cropLeft * sx);
        int h = Math.Max(1, Math.Min(sourceHeight - top, (int)Math.Round(height * sy)));
        int w = Math.Max(1, Math.Min(sourceWidth - left, (int)Math.Round(width * sx)));
        return (top, left, h, w);
    }

    public void Apply(ReadOnlySpan<float> source, int sourceChannels, int sourceHeight, int sourceWidth,
        Span<float> destination, int height, int width)
    {
        var (top, left, h, w) = SourceRegion(sourceHeight, sourceWidth, height, width);
        BilinearResize.ResizeRegion(source, sourceChannels, sourceHeight, sourceWidth, top, left, h, w, destination, height, width);
    }
}

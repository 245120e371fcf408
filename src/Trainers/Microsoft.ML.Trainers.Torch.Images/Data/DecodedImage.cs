using System;
using System.Buffers;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// A decoded image at its own size (not the network's): bytes in [0, 255], channel-first (<see cref="Channels"/> ×
/// <see cref="Height"/> × <see cref="Width"/>). What RandomResizedCrop draws from, so its area and aspect ratio are
/// those of the photo, and what evaluation resizes from.
/// </summary>
internal sealed class DecodedImage
{
    public DecodedImage(byte[] pixels, int channels, int height, int width)
    {
        if (pixels.Length != channels * height * width)
        {
            throw new ArgumentException($"{pixels.Length} bytes for a {channels}x{height}x{width} image.", nameof(pixels));
        }
        Pixels = pixels;
        Channels = channels;
        Height = height;
        Width = width;
    }

    public byte[] Pixels { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>
    /// Resizes the region (<paramref name="top"/>, <paramref name="left"/>, <paramref name="regionHeight"/> ×
    /// <paramref name="regionWidth"/>) to <paramref name="height"/> × <paramref name="width"/> with
    /// <see cref="BilinearResize"/> (antialiased when shrinking) and rounds back to bytes, as PIL's 8-bit resize does.
    /// </summary>
    public void ResizeRegionTo(int top, int left, int regionHeight, int regionWidth, int height, int width, Span<byte> destination)
    {
        int plane = height * width;
        if (top == 0 && left == 0 && regionHeight == Height && regionWidth == Width && height == Height && width == Width)
        {
            Pixels.AsSpan(0, Channels * plane).CopyTo(destination);
            return;
        }
        float[] resized = ArrayPool<float>.Shared.Rent(Channels * plane);
        try
        {
            BilinearResize.ResizeRegion(Pixels, Channels, Height, Width, top, left, regionHeight, regionWidth, resized, height, width);
            for (int i = 0; i < Channels * plane; i++)
            {
                destination[i] = (byte)Math.Clamp((int)(resized[i] * 255f + 0.5f), 0, 255);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(resized);
        }
    }
}

using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Reads the image of the current row as raw channel-first values at the target size: bytes in
/// [0, 255] for images (resized when their size differs, or, with <c>coverCrop</c>, resized keeping the aspect ratio to
/// cover the target and center-cropped), floats as given for float vectors. Errors name the row and the column.
/// </summary>
internal sealed class ImagePixelReader
{
    private readonly ImageColumnKind _kind;
    private readonly string _column;
    private readonly int _channels, _height, _width;
    private readonly bool _coverCrop;
    private readonly ValueGetter<MLImage>? _imageGetter;
    private readonly ValueGetter<VBuffer<byte>>? _bytesGetter;
    private readonly ValueGetter<VBuffer<float>>? _floatGetter;
    private readonly ValueGetter<ReadOnlyMemory<char>>? _pathGetter;
    private ReadOnlyMemory<char> _path;
    private VBuffer<byte> _bytes;
    private VBuffer<float> _floats;

    public ImagePixelReader(DataViewRow row, ImageColumnKind kind, string column, int channels, int height, int width, bool coverCrop = false)
    {
        _coverCrop = coverCrop;
        _kind = kind;
        _column = column;
        _channels = channels;
        _height = height;
        _width = width;
        DataViewSchema.Column col = row.Schema[column];
        switch (kind)
        {
            case ImageColumnKind.MLImage: _imageGetter = row.GetGetter<MLImage>(col); break;
            case ImageColumnKind.EncodedBytes: _bytesGetter = row.GetGetter<VBuffer<byte>>(col); break;
            case ImageColumnKind.ImagePath: _pathGetter = row.GetGetter<ReadOnlyMemory<char>>(col); break;
            default: _floatGetter = row.GetGetter<VBuffer<float>>(col); break;
        }
    }

    public int PixelCount => _channels * _height * _width;

    /// <summary>Reads an image into <paramref name="destination"/> (bytes, CHW).</summary>
    public void ReadBytes(long row, Span<byte> destination)
    {
        if (_kind == ImageColumnKind.MLImage)
        {
            MLImage? image = null;
            _imageGetter!(ref image!);
            if (image == null)
            {
                throw new InvalidDataException($"Row {row}: image column '{_column}' holds no image.");
            }
            using SKBitmap bitmap = ToBitmap(image);
            // The upstream transform owns the image and disposes it on its next row.
            CopyResized(bitmap, row, destination);
        }
        else if (_kind == ImageColumnKind.ImagePath)
        {
            _pathGetter!(ref _path);
            ReadFile(_path.ToString(), _channels, _height, _width, destination, _coverCrop);
        }
        else
        {
            _bytesGetter!(ref _bytes);
            if (_bytes.Length == 0)
            {
                throw new InvalidDataException($"Row {row}: image column '{_column}' holds no bytes.");
            }
            byte[] encoded = _bytes.DenseValues().ToArray();
            using SKBitmap? bitmap = TryDecode(encoded);
            if (bitmap == null)
            {
                throw new InvalidDataException($"Row {row}: image column '{_column}' holds {encoded.Length} bytes that are not a decodable image (PNG, JPEG, BMP, GIF, WEBP).");
            }
            CopyResized(bitmap, row, destination);
        }
    }

    /// <summary>Reads a float-vector image into <paramref name="destination"/>, rejecting NaN and infinities.</summary>
    public void ReadFloats(long row, Span<float> destination)
    {
        _floatGetter!(ref _floats);
        if (_floats.Length != destination.Length)
        {
            throw new InvalidDataException($"Row {row}: image column '{_column}' has {_floats.Length} values; expected {_channels}x{_height}x{_width} = {destination.Length}.");
        }
        _floats.CopyTo(destination);
        for (int i = 0; i < destination.Length; i++)
        {
            if (!float.IsFinite(destination[i]))
            {
                throw new InvalidDataException($"Row {row}: image column '{_column}' holds {destination[i]} at index {i}; pixel values must be finite.");
            }
        }
    }

    private static SKBitmap? TryDecode(byte[] encoded)
    {
        using var stream = new MemoryStream(encoded, writable: false);
        using SKCodec? codec = SKCodec.Create(stream);
        return codec == null ? null : SKBitmap.Decode(codec);
    }

    private static SKBitmap ToBitmap(MLImage image)
    {
        // MLImage.Pixels calls an SKBitmap method whose signature changed in SkiaSharp 3.119 (the version
        // served with ML.NET 5.0.1), so it throws MissingMethodException; GetBGRPixels does not.
        byte[] bgr = image.GetBGRPixels;
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        Span<byte> rgba = bitmap.GetPixelSpan();
        for (int i = 0, j = 0; i < bgr.Length; i += 3, j += 4)
        {
            rgba[j] = bgr[i + 2];
            rgba[j + 1] = bgr[i + 1];
            rgba[j + 2] = bgr[i];
            rgba[j + 3] = 255;
        }
        return bitmap;
    }

    /// <summary>
    /// Decodes the image file at <paramref name="path"/> into <paramref name="destination"/> (bytes, CHW, resized to
    /// <paramref name="height"/> × <paramref name="width"/>); errors name the file.
    /// </summary>
    public static void ReadFile(string path, int channels, int height, int width, Span<byte> destination, bool coverCrop = false)
    {
        using SKBitmap bitmap = DecodeFile(path);
        CopyResized(bitmap, channels, height, width, coverCrop, $"Image file '{path}'", destination);
    }

    /// <summary>
    /// Decodes the image file at <paramref name="path"/> at its own size, keeping its aspect ratio, shrunk (antialiased)
    /// only when its shorter side exceeds <paramref name="maxShorterSide"/> or its longer side
    /// <paramref name="maxLongerSide"/>, which bounds the memory of a batch of large photos. Errors name the file.
    /// </summary>
    public static DecodedImage ReadFileFull(string path, int channels, int maxShorterSide, int maxLongerSide)
    {
        using SKBitmap bitmap = DecodeFile(path);
        DecodedImage image = ToChannels(bitmap, channels, $"Image file '{path}'");
        int shorter = Math.Min(image.Height, image.Width), longer = Math.Max(image.Height, image.Width);
        double factor = Math.Min(1.0, Math.Min((double)maxShorterSide / shorter, (double)maxLongerSide / longer));
        if (factor >= 1)
        {
            return image;
        }
        int h = Math.Max(1, (int)Math.Round(image.Height * factor)), w = Math.Max(1, (int)Math.Round(image.Width * factor));
        byte[] pixels = new byte[channels * h * w];
        image.ResizeRegionTo(0, 0, image.Height, image.Width, h, w, pixels);
        return new DecodedImage(pixels, channels, h, w);
    }

    private static SKBitmap DecodeFile(string path)
    {
        byte[] encoded;
        try
        {
            encoded = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"Image file '{path}' could not be read: {e.Message}", e);
        }
        return TryDecode(encoded)
            ?? throw new InvalidDataException($"Image file '{path}' ({encoded.Length} bytes) is not a decodable image (PNG, JPEG, BMP, GIF, WEBP).");
    }

    /// <summary>The height and width stored in the header of the image file at <paramref name="path"/>.</summary>
    public static (int Height, int Width) FileImageSize(string path)
    {
        using FileStream stream = File.OpenRead(path);
        using SKCodec codec = SKCodec.Create(stream)
            ?? throw new InvalidDataException($"Image file '{path}' is not a decodable image (PNG, JPEG, BMP, GIF, WEBP).");
        return (codec.Info.Height, codec.Info.Width);
    }

    private void CopyResized(SKBitmap source, long row, Span<byte> destination)
        => CopyResized(source, _channels, _height, _width, _coverCrop, $"Row {row}: image in column '{_column}'", destination);

    /// <summary>
    /// The centered rectangle of a <paramref name="sourceHeight"/> × <paramref name="sourceWidth"/> image with the target's
    /// aspect ratio: resizing it to the target equals a shorter-side resize that covers the target, then a center crop.
    /// </summary>
    public static SKRectI CoverRegion(int sourceHeight, int sourceWidth, int height, int width)
    {
        int h = sourceHeight, w = sourceWidth;
        if ((long)sourceWidth * height > (long)sourceHeight * width)
        {
            w = Math.Clamp((int)Math.Round((double)sourceHeight * width / height), 1, sourceWidth);
        }
        else
        {
            h = Math.Clamp((int)Math.Round((double)sourceWidth * height / width), 1, sourceHeight);
        }
        int left = (sourceWidth - w) / 2, top = (sourceHeight - h) / 2;
        return new SKRectI(left, top, left + w, top + h);
    }

    /// <summary>
    /// The whole image (or, with <paramref name="coverCrop"/>, its centered region with the target's aspect ratio) resized
    /// to the target by <see cref="BilinearResize"/>: antialiased when shrinking, as torchvision's evaluation Resize.
    /// </summary>
    private static void CopyResized(SKBitmap source, int channels, int height, int width, bool coverCrop, string where, Span<byte> destination)
    {
        DecodedImage image = ToChannels(source, channels, where);
        SKRectI region = coverCrop ? CoverRegion(image.Height, image.Width, height, width) : new SKRectI(0, 0, image.Width, image.Height);
        image.ResizeRegionTo(region.Top, region.Left, region.Height, region.Width, height, width, destination);
    }

    /// <summary>The bitmap as channel-first bytes at its own size: RGB, or ITU-R 601 luma for one channel.</summary>
    private static DecodedImage ToChannels(SKBitmap source, int channels, string where)
    {
        int height = source.Height, width = source.Width;
        SKBitmap packed = source;
        // RGBA and BGRA (what SkiaSharp decodes JPEGs to here) are read in place, row by row; anything else, or
        // premultiplied alpha, is converted first (SkiaSharp's conversion costs several times the decode).
        bool direct = source.ColorType is SKColorType.Rgba8888 or SKColorType.Bgra8888 && source.AlphaType != SKAlphaType.Premul;
        if (!direct)
        {
            packed = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            if (!source.CopyTo(packed, SKColorType.Rgba8888))
            {
                packed.Dispose();
                throw new InvalidDataException($"{where} could not be converted to RGBA.");
            }
        }
        try
        {
            ReadOnlySpan<byte> pixels = packed.GetPixelSpan();
            int rowBytes = packed.RowBytes, plane = height * width;
            // Offsets of red and blue within a pixel.
            int red = packed.ColorType == SKColorType.Bgra8888 ? 2 : 0, blue = 2 - red;
            byte[] destination = new byte[channels * plane];
            Span<byte> r0 = destination.AsSpan(0, plane);
            Span<byte> g0 = channels == 3 ? destination.AsSpan(plane, plane) : default;
            Span<byte> b0 = channels == 3 ? destination.AsSpan(2 * plane, plane) : default;
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<byte> row = pixels.Slice(y * rowBytes, 4 * width);
                int o = y * width;
                for (int x = 0; x < width; x++)
                {
                    byte r = row[4 * x + red], g = row[4 * x + 1], b = row[4 * x + blue];
                    if (channels == 1)
                    {
                        // ITU-R 601 luma, as torchvision's Grayscale and PIL's "L" conversion use.
                        r0[o + x] = (byte)Math.Clamp((int)Math.Round(0.299 * r + 0.587 * g + 0.114 * b), 0, 255);
                    }
                    else
                    {
                        r0[o + x] = r;
                        g0[o + x] = g;
                        b0[o + x] = b;
                    }
                }
            }
            return new DecodedImage(destination, channels, height, width);
        }
        finally
        {
            if (!ReferenceEquals(packed, source))
            {
                packed.Dispose();
            }
        }
    }
}

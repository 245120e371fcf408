using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Reads a folder laid out as torchvision's <c>ImageFolder</c>: one subfolder per class, holding that class's image files.
/// Only paths are listed; images are decoded later, batch by batch (<c>LoadImages</c> or <c>LoadRawImageBytes</c>).
/// </summary>
internal static class ImageFolder
{
    /// <summary>The extensions torchvision's <c>ImageFolder</c> accepts (case-insensitive); other files are skipped.</summary>
    public static readonly IReadOnlyList<string> ImageExtensions = new[] { ".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".gif" };

    /// <summary>
    /// Lists every image file under <paramref name="root"/>'s class subfolders, classes in ordinal order of their names
    /// (as torchvision sorts them) and files in ordinal order within a class.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// No class subfolders, a class without images, or a file with an image extension that cannot be read or is not an
    /// image; the message names the folder or file.
    /// </exception>
    public static IReadOnlyList<(string Path, string Label)> List(string root, bool checkHeaders)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        }
        string[] classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(name => !name.StartsWith('.')).OrderBy(name => name, StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
        {
            throw new InvalidDataException($"Image folder '{root}' has no class subfolders (expected one subfolder per class, e.g. '{Path.Combine(root, "cat")}').");
        }
        var rows = new List<(string, string)>();
        foreach (string label in classes)
        {
            string classFolder = Path.Combine(root, label);
            string[] files = Directory.EnumerateFiles(classFolder, "*", SearchOption.AllDirectories)
                .Where(IsImageFile).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
            {
                throw new InvalidDataException(
                    $"Class folder '{classFolder}' holds no image files ({string.Join(", ", ImageExtensions)}); remove it or add images.");
            }
            foreach (string file in files)
            {
                if (checkHeaders)
                {
                    CheckReadableImage(file);
                }
                rows.Add((Path.GetFullPath(file), label));
            }
        }
        return rows;
    }

    private static bool IsImageFile(string path)
    {
        string name = Path.GetFileName(path);
        return !name.StartsWith('.') && ImageExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Opens the file and checks its first bytes against the signatures of the formats SkiaSharp decodes, so an empty,
    /// unreadable or mislabelled file is named here rather than failing mid-epoch. Decoding every file up front would
    /// cost as much as an epoch of loading.
    /// </summary>
    private static void CheckReadableImage(string file)
    {
        Span<byte> head = stackalloc byte[12];
        int read;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Image file '{file}' cannot be read: {e.Message}", e);
        }
        if (!HasImageSignature(head[..read]))
        {
            throw new InvalidDataException(read == 0
                ? $"Image file '{file}' is empty."
                : $"Image file '{file}' is not a JPEG, PNG, GIF, BMP, WebP, TIFF or PNM image (its first bytes are {Convert.ToHexString(head[..Math.Min(read, 4)])}).");
        }
    }

    private static bool HasImageSignature(ReadOnlySpan<byte> b)
    {
        return b.StartsWith(new byte[] { 0xFF, 0xD8, 0xFF })                                   // JPEG
            || b.StartsWith(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' })              // PNG
            || b.StartsWith("GIF8"u8)                                                          // GIF
            || b.StartsWith("BM"u8)                                                            // BMP
            || (b.Length >= 12 && b.StartsWith("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8))  // WebP
            || b.StartsWith("II*\0"u8) || b.StartsWith("MM\0*"u8)                              // TIFF
            || (b.Length >= 2 && b[0] == (byte)'P' && b[1] >= (byte)'1' && b[1] <= (byte)'7'); // PNM (PGM, PPM, ...)
    }
}

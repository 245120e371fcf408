using System.Collections.Generic;
using System.IO;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Samples.Support;

/// <summary>
/// A Fashion-MNIST image as an ML.NET image (<see cref="MLImage"/>, the grey level in all three colour channels), which
/// our trainer reads, and as its grey levels (0-255), which the featurizer's input mapping reads; and its class name.
/// </summary>
internal sealed class GrayImageRow
{
    public string Label { get; set; } = "";

    [ImageType(28, 28)]
    public MLImage? Image { get; set; }

    [VectorType(28 * 28)]
    public float[] Grey { get; set; } = System.Array.Empty<float>();

    /// <summary>The first <paramref name="limit"/> images of <c>&lt;split&gt;-images-idx3-ubyte.gz</c> (all when null).</summary>
    public static IEnumerable<GrayImageRow> Read(string folder, string split, int? limit)
    {
        string images = Path.Combine(folder, $"{split}-images-idx3-ubyte.gz");
        if (!File.Exists(images))
        {
            throw new FileNotFoundException($"'{images}' is missing: install the Debian package dataset-fashion-mnist (run.sh does) or pass --data-dir.", images);
        }
        var (pixels, count, rows, columns) = IdxFile.ReadImages(images, limit);
        byte[] labels = IdxFile.ReadLabels(Path.Combine(folder, $"{split}-labels-idx1-ubyte.gz"), limit);
        int size = rows * columns;
        var result = new List<GrayImageRow>(count);
        for (int i = 0; i < count; i++)
        {
            var bgra = new byte[size * 4];
            var grey = new float[size];
            for (int p = 0; p < size; p++)
            {
                byte level = pixels[i * size + p];
                grey[p] = level;
                bgra[4 * p] = bgra[4 * p + 1] = bgra[4 * p + 2] = level;
                bgra[4 * p + 3] = 255;
            }
            result.Add(new GrayImageRow
            {
                Label = FashionMnistData.ClassNames[labels[i]],
                Image = MLImage.CreateFromPixels(columns, rows, MLPixelFormat.Bgra32, bgra),
                Grey = grey,
            });
        }
        return result;
    }
}

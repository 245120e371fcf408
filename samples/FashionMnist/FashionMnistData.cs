using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch.Images;

/// <summary>Fashion-MNIST as an IDataView: "Pixels" (784 floats, scaled to [0, 1]) and "Label" (class name).</summary>
internal static class FashionMnistData
{
    public static readonly string[] ClassNames =
        { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };

    private sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(28 * 28)]
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    public static IDataView Load(MLContext ml, string dir, string split, int? limit)
    {
        string images = Path.Combine(dir, $"{split}-images-idx3-ubyte.gz");
        string labels = Path.Combine(dir, $"{split}-labels-idx1-ubyte.gz");
        if (!File.Exists(images))
        {
            throw new FileNotFoundException($"'{images}' is missing: install the Debian package dataset-fashion-mnist (samples/FashionMnist/run.sh does) or pass --data-dir.", images);
        }
        var (pixels, count, rows, columns) = IdxFile.ReadImages(images, limit);
        byte[] classes = IdxFile.ReadLabels(labels, limit);
        int size = rows * columns;
        var data = Enumerable.Range(0, count).Select(i => new Row
        {
            Label = ClassNames[classes[i]],
            Pixels = pixels.AsSpan(i * size, size).ToArray().Select(b => b / 255f).ToArray(),
        }).ToList();
        return ml.Data.LoadFromEnumerable(data);
    }
}

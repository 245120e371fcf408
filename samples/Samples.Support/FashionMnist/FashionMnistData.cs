using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Samples.Support;

/// <summary>
/// Fashion-MNIST (the IDX files of the Debian package <c>dataset-fashion-mnist</c>) as an <see cref="IDataView"/>:
/// a vector of 784 floats scaled to [0, 1] and <c>Label</c>, the class name.
/// </summary>
public static class FashionMnistData
{
    /// <summary>Where the Debian package installs the files.</summary>
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The ten class names, by label index.</summary>
    public static readonly string[] ClassNames =
        { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };

    private sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(28 * 28)]
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    /// <summary>
    /// Loads <c>&lt;split&gt;-images-idx3-ubyte.gz</c> and <c>&lt;split&gt;-labels-idx1-ubyte.gz</c> from
    /// <paramref name="folder"/>, the first <paramref name="limit"/> images when given.
    /// </summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="folder">The folder holding the IDX files.</param>
    /// <param name="split"><c>train</c> or <c>t10k</c>.</param>
    /// <param name="limit">At most this many images; all when null.</param>
    /// <param name="featureColumnName">The name of the pixel column.</param>
    /// <exception cref="FileNotFoundException">The images file is missing; the message says how to install it.</exception>
    public static IDataView Load(MLContext ml, string folder, string split, int? limit, string featureColumnName = "Pixels")
    {
        string images = Path.Combine(folder, $"{split}-images-idx3-ubyte.gz");
        string labels = Path.Combine(folder, $"{split}-labels-idx1-ubyte.gz");
        if (!File.Exists(images))
        {
            throw new FileNotFoundException($"'{images}' is missing: install the Debian package dataset-fashion-mnist (the samples' run.sh does) or pass --data-dir.", images);
        }
        var (pixels, count, rows, columns) = IdxFile.ReadImages(images, limit);
        byte[] classes = IdxFile.ReadLabels(labels, limit);
        if (rows * columns != 28 * 28)
        {
            throw new InvalidDataException($"'{images}' holds {rows}x{columns} images; Fashion-MNIST's are 28x28.");
        }
        int bad = Array.FindIndex(classes, c => c >= ClassNames.Length);
        if (bad >= 0)
        {
            throw new InvalidDataException($"'{labels}' row {bad} has label {classes[bad]}; Fashion-MNIST's are 0-9.");
        }
        int size = rows * columns;
        var data = Enumerable.Range(0, count).Select(i => new Row
        {
            Label = ClassNames[classes[i]],
            Pixels = pixels.AsSpan(i * size, size).ToArray().Select(b => b / 255f).ToArray(),
        }).ToList();
        SchemaDefinition schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Pixels)].ColumnName = featureColumnName;
        return ml.Data.LoadFromEnumerable(data, schema);
    }
}

using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Samples.Support;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The samples' Fashion-MNIST IDX reader and loader, on the committed subset and on broken files.</summary>
[TestClass]
public sealed class IdxFileTests
{
    private static string Subset(string file) => Path.Combine(TestData.Root, "fashion-mnist", file);

    [TestMethod]
    public void SubsetReadsWithItsShapeAndLabels()
    {
        var (pixels, count, rows, columns) = IdxFile.ReadImages(Subset("t10k-images-idx3-ubyte.gz"));
        byte[] labels = IdxFile.ReadLabels(Subset("t10k-labels-idx1-ubyte.gz"));
        Assert.AreEqual((300, 28, 28), (count, rows, columns));
        Assert.AreEqual(300 * 784, pixels.Length);
        Assert.AreEqual(300, labels.Length);
        // Fashion-MNIST's first test images: ankle boot, pullover, trouser, trouser, shirt.
        CollectionAssert.AreEqual(new byte[] { 9, 2, 1, 1, 6 }, labels.Take(5).ToArray());
        Assert.AreEqual(10, labels.Distinct().Count());
        var (limited, limitedCount, _, _) = IdxFile.ReadImages(Subset("t10k-images-idx3-ubyte.gz"), limit: 7);
        Assert.AreEqual(7, limitedCount);
        CollectionAssert.AreEqual(pixels.Take(7 * 784).ToArray(), limited);
    }

    [TestMethod]
    public void LoaderScalesPixelsAndNamesClasses()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = FashionMnistData.Load(ml, Path.Combine(TestData.Root, "fashion-mnist"), "t10k", limit: 3, featureColumnName: "Features");
        var (pixels, _, _, _) = IdxFile.ReadImages(Subset("t10k-images-idx3-ubyte.gz"), limit: 1);
        float[][] features = data.GetColumn<float[]>("Features").ToArray();
        CollectionAssert.AreEqual(new[] { "Ankle boot", "Pullover", "Trouser" }, data.GetColumn<string>("Label").ToArray());
        Assert.AreEqual(784, ((VectorDataViewType)data.Schema["Features"].Type).Size);
        CollectionAssert.AreEqual(pixels.Select(b => b / 255f).ToArray(), features[0]);
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => FashionMnistData.Load(ml, TestData.NewTempDir(), "train", null));
        StringAssert.Contains(missing.Message, "dataset-fashion-mnist");
    }

    [TestMethod]
    public void WrongKindOrTruncatedFileIsAClearError()
    {
        string dir = TestData.NewTempDir();
        var wrongKind = Assert.ThrowsExactly<InvalidDataException>(() => IdxFile.ReadImages(Subset("t10k-labels-idx1-ubyte.gz")));
        StringAssert.Contains(wrongKind.Message, "t10k-labels-idx1-ubyte.gz");
        StringAssert.Contains(wrongKind.Message, "0x00000801");

        // A header promising 5 images of 28x28 followed by one image's bytes.
        string truncated = Path.Combine(dir, "short-images-idx3-ubyte");
        byte[] header = { 0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 28, 0, 0, 0, 28 };
        File.WriteAllBytes(truncated, header.Concat(new byte[784]).ToArray());
        var shortFile = Assert.ThrowsExactly<InvalidDataException>(() => IdxFile.ReadImages(truncated));
        StringAssert.Contains(shortFile.Message, "784 of 3920 bytes");

        Assert.ThrowsExactly<FileNotFoundException>(() => IdxFile.ReadLabels(Path.Combine(dir, "none-labels-idx1-ubyte.gz")));
    }
}

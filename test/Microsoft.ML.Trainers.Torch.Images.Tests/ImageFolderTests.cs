using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.ML.Extensions.Tests;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Images.Tests;

[TestClass]
public sealed class ImageFolderTests
{
    /// <summary>Writes Fashion-MNIST PNGs into class subfolders named by label, plus files ImageFolder must skip.</summary>
    private static (string Folder, FashionMnistSubset.BytesRow[] Rows) WriteFolder(int count)
    {
        string root = TestData.NewTempDir();
        FashionMnistSubset.BytesRow[] rows = FashionMnistSubset.PngRows("train", count);
        for (int i = 0; i < rows.Length; i++)
        {
            string classFolder = Path.Combine(root, "class_" + rows[i].Label);
            Directory.CreateDirectory(classFolder);
            File.WriteAllBytes(Path.Combine(classFolder, $"{i:D4}.png"), rows[i].Image);
        }
        File.WriteAllText(Path.Combine(root, "README.txt"), "not a class");
        File.WriteAllText(Path.Combine(root, "class_" + rows[0].Label, "notes.txt"), "skipped: not an image extension");
        return (root, rows);
    }

    [TestMethod]
    public void ListsEveryImageWithItsClassInNameOrder()
    {
        var ml = new MLContext(seed: 1);
        (string folder, FashionMnistSubset.BytesRow[] rows) = WriteFolder(40);
        IDataView data = ml.Data.LoadFromImageFolder(folder);
        string[] paths = data.GetColumn<string>("ImagePath").ToArray();
        string[] labels = data.GetColumn<string>("Label").ToArray();

        Assert.HasCount(rows.Length, paths);
        CollectionAssert.AreEqual(labels.OrderBy(l => l, StringComparer.Ordinal).ToArray(), labels, "rows are grouped by class, classes in ordinal order");
        for (int i = 0; i < paths.Length; i++)
        {
            Assert.IsTrue(Path.IsPathRooted(paths[i]), paths[i]);
            int index = int.Parse(Path.GetFileNameWithoutExtension(paths[i]));
            Assert.AreEqual("class_" + rows[index].Label, labels[i], paths[i]);
            CollectionAssert.AreEqual(rows[index].Image, File.ReadAllBytes(paths[i]));
        }
    }

    [TestMethod]
    public void TrainsFromAFolderThroughRawImageBytes()
    {
        var ml = new MLContext(seed: 1);
        (string folder, _) = WriteFolder(64);
        IDataView data = ml.Data.LoadFromImageFolder(folder, pathColumnName: "File", labelColumnName: "Class");
        var options = new ImageClassificationTrainerOptions
        {
            LabelColumnName = "Class",
            ImageColumnName = "Image",
            ImageChannels = 1,
            ImageHeight = 28,
            ImageWidth = 28,
            Architecture = ResNetArchitecture.CifarResNet20,
            BaseWidth = 16,
            Epochs = 1,
            Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9 },
            Threads = 1,
        };
        var pipeline = ml.Transforms.LoadRawImageBytes("Image", null, "File")
            .Append(ml.Transforms.Conversion.MapValueToKey("Class"))
            .Append(ml.MulticlassClassification.Trainers.ImageClassification(options));
        ITransformer model = pipeline.Fit(data);
        float[][] scores = model.Transform(data).GetColumn<float[]>("Score").ToArray();
        Assert.HasCount(64, scores);
        Assert.IsTrue(scores.All(s => s.All(float.IsFinite)));
    }

    [TestMethod]
    public void NamesTheFileThatIsNotAnImage()
    {
        var ml = new MLContext(seed: 1);
        (string folder, _) = WriteFolder(10);
        string bad = Path.Combine(Directory.GetDirectories(folder)[0], "broken.jpg");
        File.WriteAllText(bad, "<html>not a jpeg</html>");
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromImageFolder(folder));
        StringAssert.Contains(error.Message, bad);

        File.WriteAllBytes(bad, Array.Empty<byte>());
        error = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromImageFolder(folder));
        StringAssert.Contains(error.Message, bad);
        StringAssert.Contains(error.Message, "empty");
    }

    [TestMethod]
    public void NamesTheEmptyClassAndTheMissingFolder()
    {
        var ml = new MLContext(seed: 1);
        (string folder, _) = WriteFolder(10);
        string empty = Path.Combine(folder, "zz_empty");
        Directory.CreateDirectory(empty);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromImageFolder(folder));
        StringAssert.Contains(error.Message, empty);

        string missing = Path.Combine(folder, "nowhere");
        var notFound = Assert.ThrowsExactly<DirectoryNotFoundException>(() => ml.Data.LoadFromImageFolder(missing));
        StringAssert.Contains(notFound.Message, missing);

        string flat = TestData.NewTempDir();
        File.WriteAllBytes(Path.Combine(flat, "a.png"), FashionMnistSubset.PngRows("train", 1)[0].Image);
        error = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromImageFolder(flat));
        StringAssert.Contains(error.Message, "no class subfolders");
    }
}

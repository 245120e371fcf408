using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Validation labels are matched to the training labels by key value, never by key number alone.</summary>
[TestClass]
public sealed class LabelKeyAlignmentTests
{
    private sealed class Named
    {
        public string Label { get; set; } = "";
    }

    private sealed class Keyed
    {
        [KeyType(3)]
        public uint Label { get; set; }
    }

    private static IDataView Mapped(MLContext ml, params string[] labels)
    {
        IDataView data = ml.Data.LoadFromEnumerable(labels.Select(l => new Named { Label = l }));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    private static string[] KeyValuesOf(IDataView data)
    {
        VBuffer<ReadOnlyMemory<char>> values = default;
        data.Schema["Label"].GetKeyValues(ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }

    private static string[] LabelsAsTrainingValues(IDataView data, string[] trainingValues)
        => data.GetColumn<uint>("Label").Select(k => k == 0 ? "?" : trainingValues[k - 1]).ToArray();

    [TestMethod]
    public void SameClassesInAnotherOrderAreRemappedToTheTrainingKeys()
    {
        var ml = new MLContext(seed: 1);
        IDataView training = Mapped(ml, "cat", "dog", "bird", "cat");
        IDataView validation = Mapped(ml, "bird", "cat", "dog", "dog");

        IDataView aligned = LabelKeyAlignment.AlignTo(validation, training.Schema, "Label", "ValidationSet");

        CollectionAssert.AreEqual(new[] { "cat", "dog", "bird" }, KeyValuesOf(aligned), "the view carries the training key values");
        CollectionAssert.AreEqual(new[] { "bird", "cat", "dog", "dog" }, LabelsAsTrainingValues(aligned, KeyValuesOf(training)));
        Assert.AreEqual(3UL, ((KeyDataViewType)aligned.Schema["Label"].Type).Count);
    }

    [TestMethod]
    public void ASubsetOfTheTrainingClassesIsRemapped()
    {
        var ml = new MLContext(seed: 1);
        IDataView training = Mapped(ml, "cat", "dog", "bird");
        IDataView validation = Mapped(ml, "bird", "dog");

        IDataView aligned = LabelKeyAlignment.AlignTo(validation, training.Schema, "Label", "ValidationSet");

        CollectionAssert.AreEqual(new[] { "bird", "dog" }, LabelsAsTrainingValues(aligned, KeyValuesOf(training)));
    }

    [TestMethod]
    public void IdenticalMappingsReturnTheDataItself()
    {
        var ml = new MLContext(seed: 1);
        IDataView training = Mapped(ml, "cat", "dog");
        IDataView validation = Mapped(ml, "cat", "dog", "dog");
        Assert.AreSame(validation, LabelKeyAlignment.AlignTo(validation, training.Schema, "Label", "ValidationSet"));
    }

    [TestMethod]
    public void ClassesUnknownToTrainingAreNamedInTheError()
    {
        var ml = new MLContext(seed: 1);
        IDataView training = Mapped(ml, "cat", "dog", "bird");
        IDataView validation = Mapped(ml, "dog", "fish", "cat", "cow");

        var error = Assert.ThrowsExactly<ArgumentException>(() => LabelKeyAlignment.AlignTo(validation, training.Schema, "Label", "ValidationSet"));
        StringAssert.Contains(error.Message, "'Label'");
        StringAssert.Contains(error.Message, "ValidationSet");
        StringAssert.Contains(error.Message, "'fish', 'cow'");
    }

    [TestMethod]
    public void WithoutKeyValuesOnOneSideTheKeyCountsMustMatch()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyedOnly = ml.Data.LoadFromEnumerable(new[] { new Keyed { Label = 1 }, new Keyed { Label = 3 } });
        IDataView threeNamed = Mapped(ml, "cat", "dog", "bird");
        IDataView twoNamed = Mapped(ml, "cat", "dog");

        Assert.AreSame(keyedOnly, LabelKeyAlignment.AlignTo(keyedOnly, threeNamed.Schema, "Label", "ValidationSet"), "equal counts: keys taken as they are");
        var error = Assert.ThrowsExactly<ArgumentException>(() => LabelKeyAlignment.AlignTo(keyedOnly, twoNamed.Schema, "Label", "ValidationSet"));
        StringAssert.Contains(error.Message, "Label column 'Label' has 3 classes in ValidationSet but 2 in the training data");
        StringAssert.Contains(error.Message, "ValidationSet has no key values");
    }
}

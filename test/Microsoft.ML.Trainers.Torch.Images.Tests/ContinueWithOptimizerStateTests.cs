using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// <see cref="TorchTrainerOptions.SaveOptimizerState"/> and <see cref="TorchTrainerOptions.ContinueWithOptimizerState"/>:
/// a saved model carries its optimizer's state through <c>mlContext.Model.Save/Load</c>, and a continued fit starts from it.
/// </summary>
[TestClass]
public sealed class ContinueWithOptimizerStateTests
{
    // Constant rate (the image trainer's default warmup-cosine schedule is turned off), no shuffling, no augmentation: the second epoch of a two-epoch run sees exactly what a one-epoch
    // continuation sees, so the continued run must equal the uninterrupted one bit for bit.
    private static ImageClassificationTrainerOptions Options(int epochs) => new()
    {
        ImageColumnName = "Pixels",
        ImageChannels = 1,
        ImageHeight = 28,
        ImageWidth = 28,
        Architecture = ResNetArchitecture.CifarResNet20,
        BaseWidth = 16,
        Epochs = epochs,
        BatchSize = 32,
        Augment = false,
        Shuffle = false,
        Optimizer = new AdamWOptions { LearningRate = 3e-3, WeightDecay = 0.01 },
        Schedule = null,
        Seed = 5,
        Threads = 1,
    };

    private static IDataView Data(MLContext ml)
    {
        IDataView raw = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", limit: 96));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
    }

    private static TorchClassificationTransformer SaveAndLoad(MLContext ml, TorchClassificationTransformer model, IDataView data, out long bytes)
    {
        string path = Path.Combine(TestData.NewTempDir(), "model.zip");
        ml.Model.Save(model, data.Schema, path);
        bytes = new FileInfo(path).Length;
        ITransformer loaded = new MLContext(seed: 2).Model.Load(path, out _);
        return loaded as TorchClassificationTransformer ?? (TorchClassificationTransformer)((TransformerChain<ITransformer>)loaded).LastTransformer;
    }

    [TestMethod]
    public void ContinuingWithTheSavedOptimizerStateEqualsAnUninterruptedRunBitForBit()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = Data(ml);

        using TorchClassificationTransformer reference = ml.MulticlassClassification.Trainers.ImageClassification(Options(epochs: 2)).Fit(train);

        ImageClassificationTrainerOptions firstHalf = Options(epochs: 1);
        firstHalf.SaveOptimizerState = true;
        using TorchClassificationTransformer withState = ml.MulticlassClassification.Trainers.ImageClassification(firstHalf).Fit(train);
        using TorchClassificationTransformer withoutState = ml.MulticlassClassification.Trainers.ImageClassification(Options(epochs: 1)).Fit(train);
        Assert.IsTrue(withState.HasOptimizerState);
        Assert.IsFalse(withoutState.HasOptimizerState, "off by default");
        StateBytes.AssertIdentical(StateBytes.Of(withoutState.Model.Network), StateBytes.Of(withState.Model.Network), "keeping the state does not change training");

        using TorchClassificationTransformer loaded = SaveAndLoad(ml, withState, train, out long withStateBytes);
        using TorchClassificationTransformer loadedWithout = SaveAndLoad(ml, withoutState, train, out long withoutStateBytes);
        Assert.IsTrue(loaded.HasOptimizerState, "the state survives Model.Save/Load");
        Assert.IsFalse(loadedWithout.HasOptimizerState);
        long parameterBytes = withState.Model.Network.parameters().Sum(p => p.numel()) * sizeof(float);
        // AdamW keeps two moments per weight; zip compression of random-looking floats saves little.
        Assert.IsGreaterThan(withoutStateBytes + parameterBytes, withStateBytes, $"{withStateBytes} bytes with the state, {withoutStateBytes} without");

        ImageClassificationTrainerOptions secondHalf = Options(epochs: 1);
        secondHalf.ContinueFrom = loaded;
        secondHalf.ContinueWithOptimizerState = true;
        using TorchClassificationTransformer continued = ml.MulticlassClassification.Trainers.ImageClassification(secondHalf).Fit(train);
        StateBytes.AssertIdentical(StateBytes.Of(reference.Model.Network), StateBytes.Of(continued.Model.Network), "continued with the optimizer state");

        // Without the state the moments and Adam's bias correction restart: the same continuation lands elsewhere.
        ImageClassificationTrainerOptions fresh = Options(epochs: 1);
        fresh.ContinueFrom = loaded;
        using TorchClassificationTransformer restarted = ml.MulticlassClassification.Trainers.ImageClassification(fresh).Fit(train);
        var expected = StateBytes.Of(reference.Model.Network);
        var actual = StateBytes.Of(restarted.Model.Network);
        Assert.IsTrue(expected.Any(e => !e.Value.AsSpan().SequenceEqual(actual[e.Key])), "a fresh optimizer must not reproduce the uninterrupted run");
    }

    [TestMethod]
    public void MissingOrMismatchedOptimizerStateIsRefusedNamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = Data(ml);

        ImageClassificationTrainerOptions noModel = Options(epochs: 1);
        noModel.ContinueWithOptimizerState = true;
        var construction = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.ImageClassification(noModel));
        Assert.AreEqual(nameof(TorchTrainerOptions.ContinueWithOptimizerState), construction.ParamName);
        StringAssert.Contains(construction.Message, "ContinueFrom");

        using TorchClassificationTransformer stateless = ml.MulticlassClassification.Trainers.ImageClassification(Options(epochs: 1)).Fit(train);
        ImageClassificationTrainerOptions fromStateless = Options(epochs: 1);
        fromStateless.ContinueFrom = stateless;
        fromStateless.ContinueWithOptimizerState = true;
        var missing = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.ImageClassification(fromStateless).Fit(train));
        Assert.AreEqual(nameof(TorchTrainerOptions.ContinueWithOptimizerState), missing.ParamName);
        StringAssert.Contains(missing.Message, "no optimizer state");
        StringAssert.Contains(missing.Message, "SaveOptimizerState");

        ImageClassificationTrainerOptions saving = Options(epochs: 1);
        saving.SaveOptimizerState = true;
        using TorchClassificationTransformer withState = ml.MulticlassClassification.Trainers.ImageClassification(saving).Fit(train);

        ImageClassificationTrainerOptions otherOptimizer = Options(epochs: 1);
        otherOptimizer.Optimizer = new SgdOptions { LearningRate = 0.05, Momentum = 0.9 };
        otherOptimizer.ContinueFrom = withState;
        otherOptimizer.ContinueWithOptimizerState = true;
        var type = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.ImageClassification(otherOptimizer).Fit(train));
        Assert.AreEqual(nameof(TorchTrainerOptions.ContinueWithOptimizerState), type.ParamName);
        StringAssert.Contains(type.Message, "AdamWOptions");
        StringAssert.Contains(type.Message, "SgdOptions");

        // One parameter group instead of the decay / no-decay pair.
        ImageClassificationTrainerOptions otherGroups = Options(epochs: 1);
        otherGroups.NoWeightDecayForBiasAndNorm = false;
        otherGroups.ContinueFrom = withState;
        otherGroups.ContinueWithOptimizerState = true;
        var groups = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.ImageClassification(otherGroups).Fit(train));
        Assert.AreEqual(nameof(TorchTrainerOptions.ContinueWithOptimizerState), groups.ParamName);
        StringAssert.Contains(groups.Message, "parameter groups");
    }

    [TestMethod]
    public void ADamagedOrTruncatedOptimizerStateFailsOnLoadNamingIt()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = Data(ml);
        ImageClassificationTrainerOptions saving = Options(epochs: 1);
        saving.SaveOptimizerState = true;
        using TorchClassificationTransformer withState = ml.MulticlassClassification.Trainers.ImageClassification(saving).Fit(train);
        string path = Path.Combine(TestData.NewTempDir(), "model.zip");
        ml.Model.Save(withState, train.Schema, path);

        // The optimizer state is the payload's last part: a flipped byte there fails its own checksum, not the weights'.
        string flipped = Path.Combine(TestData.NewTempDir(), "flipped.zip");
        File.Copy(path, flipped);
        ZipEntryRewrite.Rewrite(flipped, TorchClassificationTransformer.PayloadName, bytes => { bytes[^5] ^= 0x10; return bytes; });
        Exception damaged = LoadError(flipped);
        Assert.IsInstanceOfType<InvalidDataException>(damaged, damaged.ToString());
        StringAssert.Contains(damaged.Message, "optimizer state 'optimizer'");
        StringAssert.Contains(damaged.Message, "SHA-256");
        StringAssert.Contains(damaged.Message, TorchClassificationTransformer.PayloadName);

        string truncated = Path.Combine(TestData.NewTempDir(), "truncated.zip");
        File.Copy(path, truncated);
        ZipEntryRewrite.Rewrite(truncated, TorchClassificationTransformer.PayloadName, bytes => bytes[..^100]);
        Exception cut = LoadError(truncated);
        Assert.IsInstanceOfType<InvalidDataException>(cut, cut.ToString());
        StringAssert.Contains(cut.Message, "optimizer state");
        StringAssert.Contains(cut.Message, TorchClassificationTransformer.PayloadName);
    }

    private static Exception LoadError(string path) => UnwrappedException.Of(() => new MLContext(seed: 2).Model.Load(path, out _));
}

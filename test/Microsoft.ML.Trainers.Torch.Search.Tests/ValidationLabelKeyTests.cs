using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch.Search;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Validation data mapped by its own MapValueToKey (same classes, another key order) is matched to the training
/// labels by key value, so the experiment's metric is the one computed with the training mapping.
/// </summary>
[TestClass]
public sealed class ValidationLabelKeyTests
{
    private static OptimizerExperimentOptions OneTrial() => new()
    {
        Budget = new ExperimentBudget { MaxTrials = 1, MinEpochsPerTrial = 4, MaxEpochsPerTrial = 4, ReductionFactor = 2 },
    };

    /// <summary>Maps labels with the training key values in reverse order.</summary>
    private static IDataView ReverseMapped(MLContext ml, IDataView raw, IDataView keyedTraining)
    {
        VBuffer<ReadOnlyMemory<char>> values = default;
        keyedTraining.Schema["Label"].GetKeyValues(ref values);
        var reversed = values.DenseValues().Select(v => new KeyRow { Label = v.ToString() }).Reverse().ToArray();
        return ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(reversed)).Fit(raw).Transform(raw);
    }

    private sealed class KeyRow
    {
        public string Label { get; set; } = "";
    }

    [TestMethod]
    public void ValidationMappedInAnotherKeyOrderIsScoredWithTheTrainingMapping()
    {
        var ml = new MLContext(seed: 1);
        var (rawTrain, rawValidation) = TinyData.LoadText(ml, trainCount: 600, validationCount: 150);
        ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(rawTrain);
        IDataView train = keys.Transform(rawTrain);
        IDataView ownMapped = ReverseMapped(ml, rawValidation, train);

        using OptimizerExperimentResult result = TinyData.Experiment(ml, OneTrial()).Run(train, ownMapped);

        var metrics = ml.MulticlassClassification.Evaluate(result.BestModel.Transform(keys.Transform(rawValidation)));
        Assert.IsGreaterThan(0.3, metrics.MicroAccuracy, $"the model learned something (accuracy {metrics.MicroAccuracy}; chance 0.1), so a wrong key order would show");
        Assert.AreEqual(metrics.MicroAccuracy, result.BestTrial.FinalMetric, 1e-12);
        // The trial restores its best epoch (by validation accuracy), so the model scores as that epoch validated.
        Assert.AreEqual(metrics.MicroAccuracy, result.BestTrial.History.Max(h => h.ValidationAccuracy!.Value), 1e-6, "the engine's own validation agrees");
    }

    [TestMethod]
    public void ValidationClassesUnknownToTrainingFailBeforeAnyTrial()
    {
        var ml = new MLContext(seed: 1);
        var (rawTrain, rawValidation) = TinyData.LoadText(ml, trainCount: 100, validationCount: 50);
        // Training without class9: the validation's class9 rows cannot be scored.
        IDataView trainWithout9 = ml.Data.FilterByCustomPredicate<KeyRow>(rawTrain, r => r.Label == "class9");
        IDataView train = ml.Transforms.Conversion.MapValueToKey("Label").Fit(trainWithout9).Transform(trainWithout9);
        IDataView validation = ml.Transforms.Conversion.MapValueToKey("Label").Fit(rawValidation).Transform(rawValidation);
        int trials = 0;
        var options = OneTrial();
        options.TrialCompleted = _ => trials++;

        var error = Assert.ThrowsExactly<ArgumentException>(() => TinyData.Experiment(ml, options).Run(train, validation));
        StringAssert.Contains(error.Message, "'class9'");
        StringAssert.Contains(error.Message, "Label column 'Label'");
        Assert.AreEqual(0, trials);
    }
}

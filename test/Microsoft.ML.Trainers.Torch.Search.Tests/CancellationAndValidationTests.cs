using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch.Search;
using Samples.Support;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Cancellation through MLContext.CancelExecution, and option validation at construction.</summary>
[TestClass]
public sealed class CancellationAndValidationTests
{
    private static OptimizerExperimentOptions Small() => new()
    {
        Budget = new ExperimentBudget { MaxTrials = 4, MinEpochsPerTrial = 1, MaxEpochsPerTrial = 2, ReductionFactor = 2 },
    };

    [TestMethod]
    public void CancelBetweenTrialsThrowsOperationCanceledWithThePartialLeaderboard()
    {
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml, trainCount: 200, validationCount: 100);
        var options = Small();
        options.TrialCompleted = _ => ml.CancelExecution();
        var experiment = TinyData.Experiment(ml, options);

        var ex = Assert.ThrowsExactly<OptimizerExperimentCanceledException>(() => experiment.Run(train, validation));
        Assert.IsInstanceOfType<OperationCanceledException>(ex);
        Assert.AreEqual(2, ex.Trials.Count);
        Assert.AreEqual(TrialStatus.Completed, ex.Trials[0].Status);
        Assert.AreEqual(TrialStatus.Canceled, ex.Trials[1].Status);
        Assert.AreSame(ex.Trials[0], ex.Leaderboard[0]);
    }

    [TestMethod]
    public void CancelDuringATrialStopsItBeforeTheNextBatch()
    {
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml, trainCount: 200, validationCount: 100);
        var template = TinyData.Template();
        // Cancel at the end of the first epoch of the first trial, which has 2 epochs (MinEpochsPerTrial = 2).
        template.EpochCallback = _ => ml.CancelExecution();
        var options = Small();
        options.Budget.MinEpochsPerTrial = 2;
        var experiment = TinyData.Experiment(ml, options, template);

        var ex = Assert.ThrowsExactly<OptimizerExperimentCanceledException>(() => experiment.Run(train, validation));
        TrialResult only = ex.Trials.Single();
        Assert.AreEqual(TrialStatus.Canceled, only.Status);
        Assert.AreEqual(1, only.History.Count, "the second epoch never ran");
    }

    [TestMethod]
    public void ATemplateWithEarlyStoppingButNoValidationDataIsAcceptedSinceEveryTrialValidates()
    {
        var ml = new MLContext(seed: 1);
        var template = TinyData.Template();
        template.EarlyStoppingPatience = 1;
        Assert.ThrowsExactly<ArgumentException>(template.Validate, "a trainer given these options has no validation data");
        TinyData.Experiment(ml, Small(), template);
        Assert.IsNull(template.ValidationSet, "the template is left alone");
    }

    [TestMethod]
    public void BadOptionsFailAtConstructionNamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        void Expect(string option, Action<OptimizerExperimentOptions> breakIt, MlpOptions? template = null)
        {
            var options = Small();
            breakIt(options);
            var ex = Assert.Throws<ArgumentException>(() => TinyData.Experiment(ml, options, template));
            StringAssert.Contains(ex.Message, option);
        }

        Expect("Budget.MaxTrials", o => o.Budget.MaxTrials = 0);
        Expect("Budget.MinEpochsPerTrial", o => o.Budget.MinEpochsPerTrial = 0);
        Expect("Budget.MaxEpochsPerTrial", o => o.Budget.MaxEpochsPerTrial = 0);
        Expect("Budget.ReductionFactor", o => o.Budget.ReductionFactor = 1);
        Expect("Budget.MaxWallTime", o => o.Budget.MaxWallTime = TimeSpan.Zero);
        Expect("SearchSpace.Optimizers", o => o.SearchSpace.Optimizers.Clear());
        Expect("SearchSpace.Optimizers", o => o.SearchSpace.Optimizers.Add(OptimizerCandidate.AdamW()));
        Expect("SearchSpace.Optimizers[Lion].LearningRate", o => o.SearchSpace.Optimizers[3] = OptimizerCandidate.Lion() with { LearningRate = null! });
        Expect("SearchSpace.Optimizers[AdamW].LearningRate", o => o.SearchSpace.Optimizers[1] = OptimizerCandidate.AdamW() with { LearningRate = SearchRange.LogUniform(0, 1e-3) });
        Expect("SearchSpace.Optimizers[AdamW].LearningRate", o => o.SearchSpace.Optimizers[1] = OptimizerCandidate.AdamW() with { LearningRate = SearchRange.LogUniform(1e-2, 1e-3) });
        Expect("SearchSpace.Optimizers[SgdMomentum].WeightDecay", o => o.SearchSpace.Optimizers[0] = OptimizerCandidate.SgdMomentum() with { WeightDecay = SearchRange.Uniform(-1, 1) });
        Expect("SearchSpace.ZeroWeightDecayProbability", o => o.SearchSpace.ZeroWeightDecayProbability = 1.5);
        // Hyperparameter ranges are checked by the optimizer options' own setters (SgdOptions.Momentum >= 0, AdamW's 0 <= beta < 1).
        Expect("SearchSpace.Optimizers[SgdMomentum].Hyperparameters[Momentum]", o => o.SearchSpace.Optimizers[0] = OptimizerCandidate.SgdMomentum() with
        {
            Hyperparameters = new Dictionary<string, SearchRange> { ["Momentum"] = SearchRange.Uniform(-0.1, 0.9) },
        });
        Expect("SearchSpace.Optimizers[AdamW].Hyperparameters[Beta1]", o => o.SearchSpace.Optimizers[1] = OptimizerCandidate.AdamW() with
        {
            Hyperparameters = new Dictionary<string, SearchRange> { ["Beta1"] = SearchRange.Fixed(double.NaN) },
        });
        Expect("SearchSpace.Optimizers[AdamL2].Hyperparameters[Beta2]", o => o.SearchSpace.Optimizers[2] = OptimizerCandidate.AdamL2() with
        {
            Hyperparameters = new Dictionary<string, SearchRange> { ["Beta2"] = SearchRange.Uniform(0.9, 1.5) },
        });
        Expect("SearchSpace.Optimizers[Lion].Hyperparameters[Betta1]", o => o.SearchSpace.Optimizers[3] = OptimizerCandidate.Lion() with
        {
            Hyperparameters = new Dictionary<string, SearchRange> { ["Betta1"] = SearchRange.Fixed(0.9) },
        });
        Expect("SearchSpace.Schedules", o => o.SearchSpace.Schedules = new List<ScheduleOptions>());
        Expect("TopK", o => o.TopK = 0);
        Expect("Metric", o => o.Metric = (MulticlassMetric)42);
        Expect("Epochs", _ => { }, new MlpOptions { Epochs = 0 });
        Assert.ThrowsExactly<ArgumentNullException>(() => OptimizerExperiment.Create<MlpOptions>(ml, TinyData.Template(), null!));
    }

    [TestMethod]
    public void TheTemplateIsClonedNotChanged()
    {
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml, trainCount: 200, validationCount: 100);
        var template = TinyData.Template();
        var optimizer = new SgdOptions { LearningRate = 0.123 };
        template.Optimizer = optimizer;
        template.Epochs = 7;
        var options = Small();
        options.Budget.MaxTrials = 2;
        using var result = TinyData.Experiment(ml, options, template).Run(train, validation);
        Assert.AreSame(optimizer, template.Optimizer);
        Assert.AreEqual(0.123, optimizer.LearningRate);
        Assert.AreEqual(7, template.Epochs);
        Assert.IsNull(template.ValidationSet);

        var copy = (MlpOptions)template.Clone();
        Assert.AreNotSame(template.Optimizer, copy.Optimizer);
        Assert.AreEqual(0.123, copy.Optimizer.LearningRate);
        Assert.AreEqual(template.Hidden, copy.Hidden);
    }
}

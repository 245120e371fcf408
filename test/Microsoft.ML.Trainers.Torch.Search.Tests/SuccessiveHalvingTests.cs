using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Trainers.Torch.Search;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The experiment's search behaviour on tiny Fashion-MNIST data with a tiny MLP trainer.</summary>
[TestClass]
public sealed class SuccessiveHalvingTests
{
    private static OptimizerExperimentOptions Small(int trials = 4, int min = 1, int max = 2, int eta = 2, int seed = 1) => new()
    {
        Seed = seed,
        Budget = new ExperimentBudget { MaxTrials = trials, MinEpochsPerTrial = min, MaxEpochsPerTrial = max, ReductionFactor = eta },
    };

    [TestMethod]
    public void RungPlanHalvesConfigurationsAndMultipliesEpochs()
    {
        var budget = new ExperimentBudget { MaxTrials = 9, MinEpochsPerTrial = 1, MaxEpochsPerTrial = 9, ReductionFactor = 3 };
        CollectionAssert.AreEqual(new[] { (9, 1), (3, 3), (1, 9) }, budget.Rungs().ToArray());
        budget = new ExperimentBudget { MaxTrials = 10, MinEpochsPerTrial = 1, MaxEpochsPerTrial = 4, ReductionFactor = 3 };
        CollectionAssert.AreEqual(new[] { (10, 1), (3, 3), (1, 4) }, budget.Rungs().ToArray());
        budget = new ExperimentBudget { MaxTrials = 8, MinEpochsPerTrial = 2, MaxEpochsPerTrial = 2, ReductionFactor = 2 };
        CollectionAssert.AreEqual(new[] { (8, 2) }, budget.Rungs().ToArray());
        budget = new ExperimentBudget { MaxTrials = 1, MinEpochsPerTrial = 3, MaxEpochsPerTrial = 9, ReductionFactor = 2 };
        CollectionAssert.AreEqual(new[] { (1, 3) }, budget.Rungs().ToArray());
    }

    [TestMethod]
    public void PrefersASensibleLearningRateOverAHopelessOne()
    {
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml);
        var options = Small(trials: 4, min: 1, max: 2, eta: 2, seed: 2);
        // SGD at 1e-6 cannot move the weights in two epochs; AdamW at 3e-3 learns Fashion-MNIST quickly.
        options.SearchSpace.Optimizers = new List<OptimizerCandidate>
        {
            OptimizerCandidate.SgdMomentum() with { LearningRate = SearchRange.Fixed(1e-6) },
            OptimizerCandidate.AdamW() with { LearningRate = SearchRange.Fixed(3e-3) },
        };
        using OptimizerExperimentResult result = TinyData.Experiment(ml, options).Run(train, validation);

        var kinds = result.Configurations.Select(c => c.OptimizerName).ToHashSet();
        Assert.IsTrue(kinds.SetEquals(new[] { "SgdMomentum", "AdamW" }), "seed 2 samples both: " + string.Join(", ", result.Configurations));
        Assert.AreEqual("AdamW", result.BestTrial.Configuration.OptimizerName, LeaderboardFormatter.ToTable(result.Leaderboard));
        Assert.IsTrue(result.BestTrial.FinalMetric > 0.6, $"AdamW reaches well above chance (0.1): {result.BestTrial}");
        double bestBad = result.Trials.Where(t => t.Configuration.OptimizerName == "SgdMomentum").Max(t => t.FinalMetric);
        Assert.IsTrue(bestBad < result.BestTrial.FinalMetric - 0.2, $"lr 1e-6 stays near chance: {bestBad}");
        Assert.IsTrue(result.Trials.Where(t => t.Promoted).All(t => t.Configuration.OptimizerName == "AdamW"), "only AdamW is promoted");
        Assert.AreSame(result.Leaderboard[0], result.BestTrial);
    }

    [TestMethod]
    public void RespectsTheTrialAndEpochBudgetAndScoresEveryEpochWithMLNet()
    {
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml, trainCount: 300, validationCount: 100);
        var options = Small(trials: 5, min: 1, max: 3, eta: 2);
        options.SearchSpace.Optimizers = new List<OptimizerCandidate> { OptimizerCandidate.AdamW(), OptimizerCandidate.AdamL2(), OptimizerCandidate.Lion() };
        var reported = new List<TrialResult>();
        options.TrialCompleted = reported.Add;
        using OptimizerExperimentResult result = TinyData.Experiment(ml, options).Run(train, validation);

        // Plan: 5 configurations × 1 epoch, the best 2 × 2 epochs, the best 1 × 3 epochs.
        var plan = options.Budget.Rungs();
        CollectionAssert.AreEqual(new[] { (5, 1), (2, 2), (1, 3) }, plan.ToArray());
        Assert.AreEqual(8, result.Trials.Count);
        CollectionAssert.AreEqual(result.Trials.ToArray(), reported.ToArray());
        for (int rung = 0; rung < plan.Count; rung++)
        {
            TrialResult[] inRung = result.Trials.Where(t => t.Rung == rung).ToArray();
            Assert.AreEqual(plan[rung].Configurations, inRung.Length, $"rung {rung}");
            foreach (TrialResult t in inRung)
            {
                Assert.AreEqual(TrialStatus.Completed, t.Status, t.Error);
                Assert.AreEqual(plan[rung].Epochs, t.Epochs);
                Assert.AreEqual(t.Epochs, t.History.Count);
                Assert.AreEqual(t.Epochs, t.MetricPerEpoch.Count);
                // The trial's clock covers its epochs (training and validation) plus reading the data and ML.NET's scoring.
                Assert.IsGreaterThanOrEqualTo(t.History.Sum(h => h.Seconds), t.Seconds, $"trial {t.TrialId}");
                // ML.NET's micro-accuracy and the engine's validation accuracy count the same predictions.
                for (int e = 0; e < t.Epochs; e++)
                {
                    Assert.AreEqual(t.History[e].ValidationAccuracy!.Value, t.MetricPerEpoch[e], 1e-9, $"trial {t.TrialId} epoch {e + 1}");
                }
            }
        }
        Assert.IsTrue(result.Trials.All(t => t.Epochs <= options.Budget.MaxEpochsPerTrial));
        // Trials run one after another inside the experiment's clock.
        Assert.IsLessThanOrEqualTo(result.Seconds, result.Trials.Sum(t => t.Seconds));
        // Survivors are the best of their rung and keep their configuration id.
        int[] promoted0 = result.Trials.Where(t => t.Rung == 0 && t.Promoted).Select(t => t.ConfigurationId).ToArray();
        CollectionAssert.AreEquivalent(promoted0, result.Trials.Where(t => t.Rung == 1).Select(t => t.ConfigurationId).ToArray());
        double worstPromoted = result.Trials.Where(t => t.Rung == 0 && t.Promoted).Min(t => t.FinalMetric);
        Assert.IsTrue(result.Trials.Where(t => t.Rung == 0 && !t.Promoted).All(t => t.FinalMetric <= worstPromoted));
        Assert.AreEqual(2, result.BestTrial.Rung);
        Assert.IsFalse(result.WallTimeExceeded);
        // The best model is usable: scoring the validation data reproduces the final metric.
        var metrics = ml.MulticlassClassification.Evaluate(result.BestModel.Transform(validation));
        Assert.AreEqual(result.BestTrial.FinalMetric, metrics.MicroAccuracy, 1e-12);
    }

    [TestMethod]
    public void WallTimeBudgetSkipsTrialsNotStarted()
    {
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml, trainCount: 200, validationCount: 100);
        var options = Small(trials: 4, min: 1, max: 4, eta: 2);
        options.Budget.MaxWallTime = TimeSpan.FromMilliseconds(1);
        using OptimizerExperimentResult result = TinyData.Experiment(ml, options).Run(train, validation);

        Assert.IsTrue(result.WallTimeExceeded);
        Assert.AreEqual(TrialStatus.Completed, result.Trials[0].Status, "the first trial always runs");
        Assert.AreEqual(4, result.Trials.Count, "no later rung starts once the time is up");
        Assert.IsTrue(result.Trials.Skip(1).All(t => t.Status == TrialStatus.Skipped && t.MetricPerEpoch.Count == 0 && double.IsNaN(t.FinalMetric)));
        Assert.AreSame(result.Trials[0], result.BestTrial);
        Assert.AreEqual(TrialStatus.Skipped, result.Leaderboard[^1].Status);
    }

    [TestMethod]
    public void SameSeedGivesTheSameLeaderboardAndAnotherSeedAnother()
    {
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml, trainCount: 300, validationCount: 100);
        OptimizerExperimentResult Run(int seed) => TinyData.Experiment(ml, Small(trials: 4, min: 1, max: 2, eta: 2, seed: seed)).Run(train, validation);
        using OptimizerExperimentResult a = Run(5), b = Run(5);

        Assert.AreEqual(a.Trials.Count, b.Trials.Count);
        for (int i = 0; i < a.Leaderboard.Count; i++)
        {
            TrialResult x = a.Leaderboard[i], y = b.Leaderboard[i];
            Assert.AreEqual(x.Configuration, y.Configuration, $"row {i}");
            Assert.AreEqual(x.TrialId, y.TrialId);
            Assert.AreEqual(x.Rung, y.Rung);
            Assert.AreEqual(x.Promoted, y.Promoted);
            // Threads = 1 and the same trial seed: bit-identical training, so identical metrics.
            CollectionAssert.AreEqual(x.MetricPerEpoch.ToArray(), y.MetricPerEpoch.ToArray(), $"row {i}");
            Assert.AreEqual(x.FinalMetric, y.FinalMetric);
        }
        Assert.AreEqual(LeaderboardFormatter.ToCsv(a.Leaderboard).Split("\r\n").Length, LeaderboardFormatter.ToCsv(b.Leaderboard).Split("\r\n").Length);

        var sampledA = a.Configurations;
        // Sampling alone is cheap to compare: a different seed gives different configurations.
        Assert.AreEqual(4, sampledA.Count);
        Assert.IsFalse(sampledA.SequenceEqual(SampleOnly(6)), "seed 6 samples other configurations");
        CollectionAssert.AreEqual(sampledA.ToArray(), SampleOnly(5).ToArray());
    }

    [TestMethod]
    public void LogLossIsMinimizedAndOtherMetricsAreSelectable()
    {
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml, trainCount: 300, validationCount: 100);
        var options = Small(trials: 3, min: 1, max: 1, eta: 2);
        options.Metric = MulticlassMetric.LogLoss;
        using OptimizerExperimentResult result = TinyData.Experiment(ml, options).Run(train, validation);
        Assert.AreEqual(result.Trials.Where(t => t.Status == TrialStatus.Completed).Min(t => t.FinalMetric), result.BestTrial.FinalMetric);
        // The winner's log-loss is ML.NET's on its model, and better than a uniform guess over the 10 classes (ln 10).
        Assert.AreEqual(ml.MulticlassClassification.Evaluate(result.BestModel.Transform(validation)).LogLoss, result.BestTrial.FinalMetric, 1e-12);
        Assert.IsLessThan(Math.Log(10), result.BestTrial.FinalMetric);

        foreach (MulticlassMetric metric in new[] { MulticlassMetric.MacroAccuracy, MulticlassMetric.LogLossReduction, MulticlassMetric.TopKAccuracy })
        {
            var one = Small(trials: 1, min: 1, max: 1, eta: 2);
            one.Metric = metric;
            using OptimizerExperimentResult r = TinyData.Experiment(ml, one).Run(train, validation);
            var m = ml.MulticlassClassification.Evaluate(r.BestModel.Transform(validation), topKPredictionCount: 3);
            Assert.AreEqual(metric.ValueOf(m), r.BestTrial.FinalMetric, 1e-12, metric.ToString());
        }
        Assert.IsTrue(MulticlassMetric.LogLoss.IsLowerBetter());
        Assert.IsFalse(MulticlassMetric.MicroAccuracy.IsLowerBetter());
    }

    private static IReadOnlyList<TrialConfiguration> SampleOnly(int seed)
    {
        // The sampled configurations through the public API at the least cost: a 1 ms wall-time budget runs one trial
        // and lists the others as skipped.
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml, trainCount: 100, validationCount: 50);
        var options = Small(trials: 4, min: 1, max: 2, eta: 2, seed: seed);
        options.Budget.MaxWallTime = TimeSpan.FromMilliseconds(1);
        using OptimizerExperimentResult result = TinyData.Experiment(ml, options).Run(train, validation);
        return result.Configurations;
    }
}

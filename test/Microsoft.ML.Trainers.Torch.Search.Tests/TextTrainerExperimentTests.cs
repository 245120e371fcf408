using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Trainers.Torch.Search;
using Microsoft.ML.Trainers.Torch.Text;
using Samples.Support;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The experiment over the text trainer (fastText architecture) on the committed SpamAssassin subset.</summary>
[TestClass]
public sealed class TextTrainerExperimentTests
{
    private sealed class Email
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    [TestMethod]
    public void SearchesOverTheTextClassificationTrainer()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(1);
        Email[] emails = SpamAssassinCorpus.LoadSubset(Path.Combine(TestData.Root, "spam", "spamassassin-subset.jsonl"))
            .Select(e => new Email { Text = e.Text, Label = e.Label(2) }).OrderBy(_ => random.Next()).ToArray();
        ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(emails));
        IDataView train = keys.Transform(ml.Data.LoadFromEnumerable(emails[..220]));
        IDataView validation = keys.Transform(ml.Data.LoadFromEnumerable(emails[220..]));
        var template = new TextClassificationTrainerOptions(new FastText { Shape = new FastTextOptions { Buckets = 1 << 16, EmbeddingDim = 16 } })
        {
            BatchSize = 16,
            Threads = 1,
            LogEveryNSteps = 0,
        };
        var options = new OptimizerExperimentOptions
        {
            Budget = new ExperimentBudget { MaxTrials = 4, MinEpochsPerTrial = 2, MaxEpochsPerTrial = 4, ReductionFactor = 2 },
            SearchSpace =
            {
                // A fastText head starts at zero and sees small averaged embeddings: it wants larger rates than the defaults.
                Optimizers = new[]
                {
                    OptimizerCandidate.AdamW() with { LearningRate = SearchRange.LogUniform(3e-3, 0.1) },
                    OptimizerCandidate.SgdMomentum() with { LearningRate = SearchRange.LogUniform(0.3, 5) },
                },
            },
        };
        var experiment = OptimizerExperiment.Create(ml, template, o => ml.MulticlassClassification.Trainers.TextClassification(o), options);
        using OptimizerExperimentResult result = experiment.Run(train, validation);

        Assert.IsTrue(result.Trials.All(t => t.Status == TrialStatus.Completed), LeaderboardFormatter.ToTable(result.Leaderboard));
        Assert.IsInstanceOfType<FastTextClassificationModel>(result.BestModel.Model);
        // 80 held-out messages, 40% spam: chance is 0.6.
        Assert.IsGreaterThanOrEqualTo(0.8, result.Trials.Max(t => t.FinalMetric), LeaderboardFormatter.ToTable(result.Leaderboard));
    }
}

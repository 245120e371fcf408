using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.ML.Trainers.Torch.Search;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The experiment over the real ResNet image trainer through its catalog method (a smoke test: two short trials).</summary>
[TestClass]
public sealed class ImageTrainerExperimentTests
{
    [TestMethod]
    public void SearchesOverTheImageClassificationTrainer()
    {
        var ml = new MLContext(seed: 1);
        ITransformer keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 200)));
        IDataView train = keys.Transform(ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 200)));
        IDataView validation = keys.Transform(ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("t10k", 100)));
        var template = new ImageClassificationTrainerOptions
        {
            ImageColumnName = "Pixels", ImageChannels = 1, ImageHeight = 28, ImageWidth = 28,
            Architecture = ResNetArchitecture.CifarResNet20, BaseWidth = 16, BatchSize = 32, Augment = false, Threads = 2,
        };
        var options = new OptimizerExperimentOptions
        {
            Budget = new ExperimentBudget { MaxTrials = 2, MinEpochsPerTrial = 1, MaxEpochsPerTrial = 1, ReductionFactor = 2 },
        };
        var experiment = OptimizerExperiment.Create(ml, template, o => ml.MulticlassClassification.Trainers.ImageClassification(o), options);
        using OptimizerExperimentResult result = experiment.Run(train, validation);

        Assert.AreEqual(2, result.Trials.Count);
        Assert.IsTrue(result.Trials.All(t => t.Status == TrialStatus.Completed && t.MetricPerEpoch.Count == 1), LeaderboardFormatter.ToTable(result.Leaderboard));
        Assert.IsInstanceOfType<ImageClassificationModel>(result.BestModel.Model);
        Assert.AreEqual(ResNetArchitecture.CifarResNet20, template.Architecture, "the template is not changed");
    }
}

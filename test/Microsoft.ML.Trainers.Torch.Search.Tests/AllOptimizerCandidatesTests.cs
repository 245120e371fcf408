using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch.Search;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Every optimizer of the library is a search candidate with its own valid ranges.</summary>
[TestClass]
public sealed class AllOptimizerCandidatesTests
{
    [TestMethod]
    public void AllCoversTheElevenOptimizersWithValidRanges()
    {
        IReadOnlyList<OptimizerCandidate> all = OptimizerCandidate.All();
        CollectionAssert.AreEquivalent(
            new[] { "SGD", "AdamW", "Adam", "Lion", "LAMB", "LARS", "Adan", "Adafactor", "ScheduleFreeAdamW", "Muon", "SophiaG" },
            all.Select(c => c.Template.AlgorithmName).ToArray());
        Assert.AreEqual(11, all.Select(c => c.Name).Distinct().Count());
        var space = new OptimizerSearchSpace { Optimizers = all.ToList() };
        space.Validate();
        // Validate sets both ends of every hyperparameter range through the options' own setters.
        Assert.IsTrue(all.All(c => c.LearningRate.Min > 0 && c.LearningRate.Min < c.LearningRate.Max && c.WeightDecay.Min < c.WeightDecay.Max));
        OptimizerCandidate Named(string name) => all.Single(c => c.Name == name);
        Assert.IsTrue(Named("Lion").LearningRate.Max * 3 <= Named("AdamW").LearningRate.Max, "Lion takes 3-10x smaller rates than AdamW");
        Assert.IsTrue(Named("LARS").LearningRate.Min > Named("AdamW").LearningRate.Min);
        Assert.IsTrue(Named("Muon").LearningRate.Min <= 0.02 && 0.02 <= Named("Muon").LearningRate.Max, "Muon around 0.02");
    }

    [TestMethod]
    public void DefaultSpaceKeepsTheFourBaselines()
    {
        CollectionAssert.AreEqual(new[] { "SgdMomentum", "AdamW", "AdamL2", "Lion" }, new OptimizerSearchSpace().Optimizers.Select(c => c.Name).ToArray());
    }
}

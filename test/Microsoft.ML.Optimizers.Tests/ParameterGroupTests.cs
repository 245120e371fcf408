using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

[TestClass]
public sealed class ParameterGroupTests
{
    [TestMethod]
    public void SplitNoDecayFollowsHuggingFaceAndTimm()
    {
        using DisposeScope scope = NewDisposeScope();
        (string, Parameter)[] named =
        {
            ("encoder.layer.0.attention.self.query.weight", new Parameter(zeros(4, 4))),
            ("encoder.layer.0.attention.self.query.bias", new Parameter(zeros(4))),
            ("embeddings.LayerNorm.weight", new Parameter(zeros(4))),
            ("weird.LayerNorm.weight", new Parameter(zeros(2, 2))),
            ("block.norm", new Parameter(zeros(2, 2))),
            ("head.BIAS", new Parameter(zeros(2, 2))),
            ("conv.weight", new Parameter(zeros(2, 1, 3, 3))),
            ("bn1.weight", new Parameter(zeros(2))),
            ("scalar", new Parameter(zeros(Array.Empty<long>()))),
            ("classifier.weight", new Parameter(zeros(3, 4))),
        };
        var groups = ParameterGroup.SplitNoDecay(named);
        Assert.AreEqual(2, groups.Count);
        Assert.AreEqual("decay", groups[0].Name);
        Assert.IsNull(groups[0].WeightDecay, "the decay group takes the options' weight decay");
        Assert.AreEqual(0.0, groups[1].WeightDecay);
        string[] Names(ParameterGroup g) => named.Where(n => g.Parameters.Contains(n.Item2)).Select(n => n.Item1).ToArray();
        CollectionAssert.AreEqual(new[] { "encoder.layer.0.attention.self.query.weight", "conv.weight", "classifier.weight" }, Names(groups[0]));
        CollectionAssert.AreEqual(new[] { "encoder.layer.0.attention.self.query.bias", "embeddings.LayerNorm.weight", "weird.LayerNorm.weight",
            "block.norm", "head.BIAS", "bn1.weight", "scalar" }, Names(groups[1]));
    }

    [TestMethod]
    public void SplitNoDecayWorksOnModuleNames()
    {
        using var model = nn.Sequential(("fc", nn.Linear(4, 8)), ("LayerNorm", nn.LayerNorm(8)), ("out", nn.Linear(8, 2)));
        var groups = ParameterGroup.SplitNoDecay(model.named_parameters());
        Assert.AreEqual(2, groups[0].Parameters.Count);
        Assert.AreEqual(4, groups[1].Parameters.Count);
        using Optimizer optimizer = new AdamWOptions().Create(groups);
        Assert.AreEqual(0.01, optimizer.ParameterGroups[0].WeightDecay);
        Assert.AreEqual(0.0, optimizer.ParameterGroups[1].WeightDecay);
    }

    [TestMethod]
    public void EachGroupUsesItsOwnHyperparameters()
    {
        using DisposeScope scope = NewDisposeScope();
        long[][] shapes = { new long[] { 100, 7 }, new long[] { 7 } };
        Parameter[] grouped = TestModels.Parameters(shapes, ScalarType.Float32, seed: 11);
        Parameter[] alone0 = TestModels.Copy(grouped);
        Parameter[] alone1 = TestModels.Copy(grouped);
        Tensor?[][] grads = TestModels.Gradients(shapes, ScalarType.Float32, 4, seed: 12);
        var options = new SgdOptions { LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-3 };
        using Optimizer together = options.Create(new[]
        {
            new ParameterGroup(new[] { grouped[0] }),
            new ParameterGroup(new[] { grouped[1] }, learningRate: 0.01, weightDecay: 0.0, momentum: 0.5),
        });
        using Optimizer first = options.Create(new[] { alone0[0] });
        using Optimizer second = new SgdOptions { LearningRate = 0.01, Momentum = 0.5 }.Create(new[] { alone1[1] });
        for (int s = 0; s < grads.Length; s++)
        {
            TestModels.SetGrads(grouped, grads[s]);
            TestModels.SetGrads(alone0, grads[s]);
            TestModels.SetGrads(alone1, grads[s]);
            together.Step();
            first.Step();
            second.Step();
        }
        TestModels.AssertBitIdentical(new[] { alone0[0], alone1[1] }, grouped, "groups vs separate optimizers");
    }

    [TestMethod]
    public void LearningRateSetterScalesGroupsProportionally()
    {
        using DisposeScope scope = NewDisposeScope();
        using Optimizer optimizer = new AdamWOptions { LearningRate = 1e-3 }.Create(new[]
        {
            new ParameterGroup(new[] { new Parameter(zeros(2)) }),
            new ParameterGroup(new[] { new Parameter(zeros(2)) }, learningRate: 1e-2),
        });
        optimizer.LearningRate = 2e-3;
        Assert.AreEqual(2e-3, optimizer.ParameterGroups[0].LearningRate);
        Assert.AreEqual(1e-2 * (2e-3 / 1e-3), optimizer.ParameterGroups[1].LearningRate);
        Assert.AreEqual(1e-3, optimizer.ParameterGroups[0].InitialLearningRate);
        optimizer.ParameterGroups[1].LearningRate = 0.5;
        Assert.AreEqual(0.5, optimizer.ParameterGroups[1].LearningRate);
        // The live group's values are never null (its type says so); the setters still reject invalid values.
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => optimizer.ParameterGroups[1].LearningRate = -1).Message, "LearningRate must be >= 0");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => optimizer.ParameterGroups[1].WeightDecay = double.NaN);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => optimizer.LearningRate = -1);
    }

    [TestMethod]
    public void MixedDtypesInOneGroupAreUpdatedSeparately()
    {
        using DisposeScope scope = NewDisposeScope();
        var p32 = new Parameter(ones(5));
        var p64 = new Parameter(ones(5, dtype: ScalarType.Float64));
        using Optimizer optimizer = new SgdOptions { LearningRate = 0.5 }.Create(new[] { p32, p64 });
        p32.grad = ones(5);
        p64.grad = ones(5, dtype: ScalarType.Float64);
        optimizer.Step();
        Assert.AreEqual(0.5f, p32[0].item<float>());
        Assert.AreEqual(0.5, p64[0].item<double>());
    }
}

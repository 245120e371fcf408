using System.Linq;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The bfloat16 working copy and float32 masters of <see cref="TrainingPrecision.MixedBFloat16"/>, step by step.</summary>
[TestClass]
public sealed class MixedPrecisionTrainingTests
{
    [TestMethod]
    public void WorksInBFloat16StepsFloat32MastersAndEndsFloat32()
    {
        random.manual_seed(1);
        var network = nn.Sequential(("frozen", nn.Linear(6, 8)), ("norm", nn.BatchNorm1d(8)), ("head", nn.Linear(8, 3)));
        Parameter frozen = network.named_parameters().Single(p => p.name == "frozen.weight").parameter;
        float[] frozenBefore = frozen.data<float>().ToArray();
        foreach (var (name, p) in network.named_parameters().Where(p => p.name.StartsWith("frozen.")))
        {
            p.requires_grad = false;
        }
        var trainable = network.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        using var mixed = new MixedPrecisionTraining(network, trainable);

        var dtypes = network.named_parameters().ToDictionary(p => p.name, p => p.parameter.dtype);
        Assert.AreEqual(ScalarType.BFloat16, dtypes["frozen.weight"]);
        Assert.AreEqual(ScalarType.BFloat16, dtypes["head.weight"]);
        Assert.AreEqual(ScalarType.Float32, dtypes["norm.weight"], "normalization layers stay float32");
        Assert.AreEqual(ScalarType.Float32, network.named_buffers().Single(b => b.name == "norm.running_mean").buffer.dtype);
        CollectionAssert.AreEqual(trainable.Select(t => t.name).ToArray(), mixed.OptimizedParameters.Select(t => t.name).ToArray());
        Assert.IsTrue(mixed.OptimizedParameters.All(p => p.parameter.dtype == ScalarType.Float32), "the optimizer steps float32");

        using var optimizer = new SgdOptions { LearningRate = 0.1, Momentum = 0.9 }.Create(ParameterGroup.SplitNoDecay(mixed.OptimizedParameters));
        Parameter headMaster = mixed.OptimizedParameters.Single(p => p.name == "head.weight").parameter;
        float[] masterBefore = headMaster.data<float>().ToArray();
        network.train();
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            Tensor x = mixed.CastInputs(new[] { randn(16, 6) })[0];
            Assert.AreEqual(ScalarType.BFloat16, x.dtype);
            Tensor logits = ((nn.Module<Tensor, Tensor>)network).forward(x).to(ScalarType.Float32);
            Tensor loss = nn.functional.cross_entropy(logits, randint(0, 3, new long[] { 16 }));
            optimizer.ZeroGrad();
            loss.backward();
            mixed.CopyGradientsToMasters();
            Assert.AreEqual(ScalarType.Float32, headMaster.grad!.dtype);
            optimizer.ClipGradNorm(1.0);
            optimizer.Step();
            mixed.CopyMastersToWorking();
        }
        float[] masterAfter = headMaster.data<float>().ToArray();
        CollectionAssert.AreNotEqual(masterBefore, masterAfter, "the masters were stepped");
        Parameter headWorking = network.named_parameters().Single(p => p.name == "head.weight").parameter;
        float[] working = headWorking.to(ScalarType.Float32).data<float>().ToArray();
        for (int i = 0; i < working.Length; i++)
        {
            Assert.AreEqual(masterAfter[i], working[i], System.Math.Abs(masterAfter[i]) / 128 + 1e-6, "the working copy is the master rounded to bfloat16");
        }

        mixed.Finish();
        Assert.IsTrue(network.named_parameters().All(p => p.parameter.dtype == ScalarType.Float32), "float32 after Finish");
        CollectionAssert.AreEqual(masterAfter, network.named_parameters().Single(p => p.name == "head.weight").parameter.data<float>().ToArray(),
            "the trained weights are the float32 masters, not the rounded working copy");
        CollectionAssert.AreEqual(frozenBefore, network.named_parameters().Single(p => p.name == "frozen.weight").parameter.data<float>().ToArray(),
            "frozen weights come back exactly, not rounded through bfloat16");
        Assert.IsFalse(network.named_parameters().Single(p => p.name == "frozen.weight").parameter.requires_grad, "frozen stays frozen");
        Assert.IsTrue(network.named_parameters().Single(p => p.name == "head.weight").parameter.requires_grad);
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Modules;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using OptimizerOptions = Microsoft.ML.Optimizers.OptimizerOptions;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// The training loop with every optimizer of the library: each trains, Schedule-Free ends (and validates) at its
/// evaluation point with BatchNorm statistics recomputed there, Muon gets its AdamW fallback, SophiaG its Hessian estimate.
/// </summary>
[TestClass]
public sealed class LoopOptimizerTests
{
    private const int Features = 4;
    private const int Classes = 3;

    /// <summary>Each of the 11 optimizers, with a learning rate that suits a tiny MLP.</summary>
    public static IEnumerable<object[]> AllOptimizers() => new OptimizerOptions[]
    {
        new SgdOptions { LearningRate = 0.1, Momentum = 0.9 },
        new AdamOptions { LearningRate = 1e-2 },
        new AdamWOptions { LearningRate = 1e-2 },
        new LionOptions { LearningRate = 1e-3 },
        new LambOptions { LearningRate = 1e-2 },
        new LarsOptions { LearningRate = 0.1, Momentum = 0.9 },
        new AdanOptions { LearningRate = 1e-2 },
        new AdafactorOptions { LearningRate = 1e-2 },
        new ScheduleFreeAdamWOptions { LearningRate = 1e-2 },
        new MuonOptions { LearningRate = 0.02, FallbackLearningRate = 1e-2 },
        new SophiaOptions { LearningRate = 1e-2, HessianUpdateInterval = 2 },
    }.Select(o => new object[] { o });

    [TestMethod]
    [DynamicData(nameof(AllOptimizers))]
    public void EveryOptimizerTrainsTheLoopFloat32(OptimizerOptions optimizer) => TrainsAndReducesLoss(optimizer, TrainingPrecision.Float32);

    [TestMethod]
    [DynamicData(nameof(AllOptimizers))]
    public void EveryOptimizerTrainsTheLoopMixedBFloat16(OptimizerOptions optimizer) => TrainsAndReducesLoss(optimizer, TrainingPrecision.MixedBFloat16);

    private static void TrainsAndReducesLoss(OptimizerOptions optimizer, TrainingPrecision precision)
    {
        var ml = new MLContext(seed: 1);
        using var model = new MlpTestModel(batchNorm: true, seed: 3);
        var data = Blobs(120, seed: 5);
        var options = new LoopTestOptions { Optimizer = optimizer, Epochs = 8, BatchSize = 24, Precision = precision, GradientClipNorm = 5.0 };
        var loop = new TrainingLoop(ml, ((IChannelProvider)ml).Start("test"), options);
        double before = loop.Evaluate(model, data).Loss;
        var history = loop.Run(model, data, null, CPU);
        (double after, double accuracy, _) = loop.Evaluate(model, data);
        Assert.AreEqual(8, history.Count);
        Assert.IsTrue(double.IsFinite(after), $"{optimizer.AlgorithmName}: loss {after}");
        Assert.IsTrue(after < 0.8 * before, $"{optimizer.AlgorithmName} ({precision}): loss {before:F4} -> {after:F4}");
        Assert.IsTrue(accuracy > 0.6, $"{optimizer.AlgorithmName} ({precision}): accuracy {accuracy:F3}");
        Assert.IsTrue(model.Network.parameters().All(p => p.dtype == ScalarType.Float32 && p.isfinite().all().item<bool>()));
    }

    [TestMethod]
    public void ScheduleFreeModelEndsAndValidatesAtTheEvaluationPoint()
    {
        var ml = new MLContext(seed: 1);
        using var model = new MlpTestModel(batchNorm: false, seed: 3);
        using var replica = new MlpTestModel(batchNorm: false, seed: 3);
        var data = Blobs(60, seed: 5);
        var sf = new ScheduleFreeAdamWOptions { LearningRate = 0.05, WeightDecay = 0.01 };
        var validationLosses = new List<double>();
        var options = new LoopTestOptions
        {
            Optimizer = sf, Epochs = 4, BatchSize = data.Count, Shuffle = false,
            EpochCallback = m => validationLosses.Add(m.ValidationLoss!.Value),
        };
        var loop = new TrainingLoop(ml, ((IChannelProvider)ml).Start("test"), options);
        loop.Run(model, data, data, CPU);

        // The same four full-batch steps by hand.
        using var optimizer = sf.Create(ParameterGroup.SplitNoDecay(replica.Network.named_parameters().ToList()));
        int[] all = Enumerable.Range(0, data.Count).ToArray();
        replica.Network.train();
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            Tensor loss = nn.functional.cross_entropy(replica.Forward(data.Collate(all, false, new Random(0))), data.Labels());
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
        }
        optimizer.UseEvaluationPoint();
        AssertSameWeights(replica, model, "the trained model holds the evaluation point");
        // Validation ran at the evaluation point: the last epoch's loss is the final model's.
        Assert.AreEqual(loop.Evaluate(model, data).Loss, validationLosses[^1], 1e-6);
        optimizer.UseTrainingPoint();
        float[] training = replica.Network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        float[] saved = model.Network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        Assert.IsTrue(training.Zip(saved).Max(t => Math.Abs(t.First - t.Second)) > 1e-4, "the training point differs from the evaluation point");
    }

    [TestMethod]
    public void ScheduleFreeRecomputesBatchNormStatisticsAtTheEvaluationPoint()
    {
        var ml = new MLContext(seed: 1);
        using var model = new MlpTestModel(batchNorm: true, seed: 3);
        var data = Blobs(60, seed: 5);
        var options = new LoopTestOptions { Optimizer = new ScheduleFreeAdamWOptions { LearningRate = 0.05 }, Epochs = 4, BatchSize = data.Count, Shuffle = false };
        new TrainingLoop(ml, ((IChannelProvider)ml).Start("test"), options).Run(model, data, null, CPU);

        // One full batch: the cumulative average is exactly that batch's statistics of the final weights.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor hidden = model.Hidden(data.Collate(Enumerable.Range(0, data.Count).ToArray(), false, new Random(0))[0]);
        float[] expectedMean = hidden.mean(new long[] { 0 }).data<float>().ToArray();
        float[] expectedVar = hidden.var(0, unbiased: true).data<float>().ToArray();
        float[] runningMean = model.Norm!.running_mean!.data<float>().ToArray();
        float[] runningVar = model.Norm.running_var!.data<float>().ToArray();
        for (int i = 0; i < expectedMean.Length; i++)
        {
            Assert.AreEqual(expectedMean[i], runningMean[i], 1e-5, $"running_mean[{i}]");
            Assert.AreEqual(expectedVar[i], runningVar[i], 1e-4, $"running_var[{i}]");
        }
        Assert.AreEqual(0.1, model.Norm.momentum, "the layer's momentum is restored");
    }

    [TestMethod]
    public void SophiaRefreshesTheHessianEveryKSteps()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.Message);
        using var model = new MlpTestModel(batchNorm: false, seed: 3);
        var data = Blobs(60, seed: 5);
        // 60 / 20 = 3 steps per epoch, 4 epochs: 12 steps, a refresh after steps 3, 6, 9 and 12.
        var options = new LoopTestOptions { Optimizer = new SophiaOptions { LearningRate = 1e-2, HessianUpdateInterval = 3 }, Epochs = 4, BatchSize = 20 };
        var loop = new TrainingLoop(ml, ((IChannelProvider)ml).Start("test"), options);
        double before = loop.Evaluate(model, data).Loss;
        loop.Run(model, data, null, CPU);
        Assert.IsTrue(loop.Evaluate(model, data).Loss < before);
        Assert.IsTrue(messages.Any(m => m.Contains("refreshed the Hessian estimate 4 times")), string.Join("\n", messages.Where(m => m.Contains("Hessian"))));
    }

    [TestMethod]
    public void LoopOptimizerGivesSophiaANonZeroHessianOnlyWhenDue()
    {
        using var model = new MlpTestModel(batchNorm: false, seed: 3);
        var data = Blobs(30, seed: 5);
        var named = model.Network.named_parameters().ToList();
        var options = new LoopTestOptions { Optimizer = new SophiaOptions { HessianUpdateInterval = 2 } };
        using LoopOptimizer optimizer = LoopOptimizer.Create(options, model, named, Array.Empty<Parameter>(), 0, 30, 10);
        Parameter weight = named.Single(p => p.name == "hidden.weight").parameter;
        int[] all = Enumerable.Range(0, data.Count).ToArray();
        var due = new List<bool>();
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            IReadOnlyList<Tensor> inputs = data.Collate(all, false, new Random(0));
            optimizer.ZeroGrad();
            nn.functional.cross_entropy(model.Forward(inputs), data.Labels()).backward();
            optimizer.Step();
            due.Add(optimizer.HessianDue);
            if (optimizer.HessianDue)
            {
                optimizer.RefreshHessian(() => model.Forward(inputs), null);
            }
            if (step == 0)
            {
                Assert.AreEqual(0.0, optimizer.Primary.GetState(weight, "hessian")!.abs().sum().item<float>(), "no estimate before the first refresh");
            }
        }
        CollectionAssert.AreEqual(new[] { false, true, false, true }, due);
        Assert.AreEqual(2, optimizer.HessianRefreshes);
        Assert.IsTrue(optimizer.Primary.GetState(weight, "hessian")!.abs().sum().item<float>() > 0);
        Assert.IsTrue(model.Network.parameters().All(p => p.grad is null || p.grad.abs().sum().item<float>() == 0), "the estimator's gradients are cleared");
    }

    [TestMethod]
    public void MuonTakesHiddenMatricesAndLeavesHeadBiasesAndNormsToAdamW()
    {
        using var model = new MlpTestModel(batchNorm: true, seed: 3);
        var named = model.Network.named_parameters().ToList();
        var options = new LoopTestOptions { Optimizer = new MuonOptions { FallbackLearningRate = 5e-3, FallbackWeightDecay = 0.02 } };
        using LoopOptimizer optimizer = LoopOptimizer.Create(options, model, named, Array.Empty<Parameter>(), 0, 30, 10);
        string NameOf(Parameter p) => named.Single(n => ReferenceEquals(n.parameter, p)).name;
        CollectionAssert.AreEqual(new[] { "hidden.weight" }, optimizer.Primary.ParameterGroups.SelectMany(g => g.Parameters).Select(NameOf).ToArray());
        Assert.AreEqual("Muon", optimizer.Primary.AlgorithmName);
        Assert.IsNotNull(optimizer.Fallback);
        Assert.AreEqual("AdamW", optimizer.Fallback!.AlgorithmName);
        CollectionAssert.AreEquivalent(new[] { "hidden.bias", "norm.weight", "norm.bias", "head.weight", "head.bias" },
            optimizer.Fallback.ParameterGroups.SelectMany(g => g.Parameters).Select(NameOf).ToArray());
        // NoWeightDecayForBiasAndNorm: the head's weight decays, biases and norms do not.
        Assert.AreEqual(0.02, optimizer.Fallback.ParameterGroups[0].WeightDecay);
        CollectionAssert.AreEqual(new[] { "head.weight" }, optimizer.Fallback.ParameterGroups[0].Parameters.Select(NameOf).ToArray());
        Assert.AreEqual(0.0, optimizer.Fallback.ParameterGroups[1].WeightDecay);
        Assert.AreEqual(5e-3, optimizer.Fallback.ParameterGroups[0].LearningRate);
    }

    [TestMethod]
    public void MuonWithoutAHiddenMatrixIsRefusedNamingTheOptimizer()
    {
        // A frozen backbone: only the head and the norm train, nothing for Muon.
        using var model = new MlpTestModel(batchNorm: true, seed: 3);
        var trainable = model.Network.named_parameters().Where(p => !p.name.StartsWith("hidden.")).ToList();
        var options = new LoopTestOptions { Optimizer = new MuonOptions() };
        var e = Assert.ThrowsExactly<ArgumentException>(() => LoopOptimizer.Create(options, model, trainable, Array.Empty<Parameter>(), 0, 30, 10));
        StringAssert.Contains(e.Message, "Muon");
        Assert.AreEqual(nameof(TorchTrainerOptions.Optimizer), e.ParamName);
    }

    private static void AssertSameWeights(MlpTestModel expected, MlpTestModel actual, string message)
    {
        var a = expected.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
        foreach (var (name, p) in actual.Network.named_parameters())
        {
            float[] values = p.data<float>().ToArray();
            for (int i = 0; i < values.Length; i++)
            {
                Assert.AreEqual(a[name][i], values[i], 1e-5, $"{message}: {name}[{i}]");
            }
        }
    }

    /// <summary>Three Gaussian blobs in 4-D, labels 0..2.</summary>
    private static TensorTrainingSet Blobs(int count, int seed)
    {
        var random = new Random(seed);
        float[] x = new float[count * Features];
        int[] y = new int[count];
        for (int i = 0; i < count; i++)
        {
            y[i] = i % Classes;
            for (int f = 0; f < Features; f++)
            {
                double centre = f == y[i] ? 2.0 : 0.0;
                x[i * Features + f] = (float)(centre + random.NextDouble() * 2 - 1);
            }
        }
        return new TensorTrainingSet(x, y);
    }

    private sealed class LoopTestOptions : TorchTrainerOptions
    {
    }

    private sealed class TensorTrainingSet : ITrainingSet
    {
        private readonly float[] _x;
        private readonly int[] _y;

        public TensorTrainingSet(float[] x, int[] y)
        {
            _x = x;
            _y = y;
        }

        public int Count => _y.Length;

        public int GetLabel(int index) => _y[index];

        public Tensor Labels() => tensor(_y.Select(v => (long)v).ToArray());

        public IReadOnlyList<Tensor> Collate(ReadOnlySpan<int> indices, bool augment, Random random)
        {
            float[] batch = new float[indices.Length * Features];
            for (int i = 0; i < indices.Length; i++)
            {
                Array.Copy(_x, indices[i] * Features, batch, i * Features, Features);
            }
            return new[] { tensor(batch, new long[] { indices.Length, Features }) };
        }

        public ITrainingSet Subset(int[] indices)
            => new TensorTrainingSet(indices.SelectMany(i => _x.Skip(i * Features).Take(Features)).ToArray(), indices.Select(i => _y[i]).ToArray());
    }

    /// <summary>hidden (Linear 4→16), optional BatchNorm1d, ReLU, head (Linear 16→3).</summary>
    private sealed class MlpTestModel : TorchClassificationModel
    {
        private readonly MlpNetwork _network;

        public MlpTestModel(bool batchNorm, int seed) : base(Classes)
        {
            random.manual_seed(seed);
            _network = new MlpNetwork(batchNorm);
        }

        public override nn.Module Network => _network;

        public override string? HeadModuleName => "head";

        public GcSafeBatchNorm? Norm => _network.Norm;

        public override IReadOnlyList<string> InputColumnNames => new[] { "Features" };

        public override void CheckInputSchema(DataViewSchema schema) => throw new NotSupportedException();

        public override IBatchFeaturizer CreateFeaturizer(DataViewRow row) => throw new NotSupportedException();

        public override Tensor Forward(IReadOnlyList<Tensor> inputs) => _network.forward(inputs[0]);

        public Tensor Hidden(Tensor x) => _network.Hidden(x);

        public override void Save(System.IO.Stream stream) => throw new NotSupportedException();
    }

    private sealed class MlpNetwork : nn.Module<Tensor, Tensor>
    {
        private readonly Linear _hidden = nn.Linear(Features, 16);
        private readonly Linear _head = nn.Linear(16, Classes);

        public MlpNetwork(bool batchNorm) : base("Mlp")
        {
            Norm = batchNorm ? GcSafeBatchNorm.For1d(16) : null;
            register_module("hidden", _hidden);
            if (Norm != null)
            {
                register_module("norm", Norm);
            }
            register_module("head", _head);
        }

        public GcSafeBatchNorm? Norm { get; }

        public Tensor Hidden(Tensor x) => _hidden.forward(x);

        public override Tensor forward(Tensor x)
        {
            Tensor h = _hidden.forward(x);
            if (Norm != null)
            {
                h = Norm.forward(h);
            }
            return _head.forward(nn.functional.relu(h));
        }
    }
}

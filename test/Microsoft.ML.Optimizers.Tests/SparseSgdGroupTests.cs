using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// The sparse-SGD group rule: a hashed embedding table with sparse gradients trained by <c>p -= lr * grad</c> inside the
/// same optimizer as the dense layers, driven by the same scheduler and checkpoint.
/// </summary>
[TestClass]
public sealed class SparseSgdGroupTests
{
    private const int Buckets = 500, Dim = 8, Classes = 3, Batch = 16, Steps = 12;
    private const double SparseRate = 0.8, ClipNorm = 0.05;

    /// <summary>An embedding bag with sparse gradients under a linear head, with deterministic weights and batches.</summary>
    private sealed class Net : IDisposable
    {
        private readonly EmbeddingBag _embedding = nn.EmbeddingBag(Buckets, Dim, mode: EmbeddingBagMode.Mean, sparse: true);
        private readonly Linear _head = nn.Linear(Dim, Classes);

        public Net(int seed)
        {
            var generator = new Generator((ulong)seed);
            using var noGrad = no_grad();
            using Scalar small = 0.1.ToScalar();
            Table.copy_(randn(new long[] { Buckets, Dim }, generator: generator));
            Dense[0].copy_(randn(new long[] { Classes, Dim }, generator: generator).mul_(small));
            Dense[1].copy_(randn(new long[] { Classes }, generator: generator).mul_(small));
        }

        // TorchSharp makes a new Parameter wrapper per access: keep one of each for the optimizer and the checks.
        public Parameter Table => _table ??= _embedding.weight!;

        public Parameter[] Dense => _dense ??= new[] { _head.weight!, _head.bias! };

        private Parameter? _table;
        private Parameter[]? _dense;

        public Parameter[] All => Dense.Append(Table).ToArray();

        /// <summary>Zero-free forward/backward of batch <paramref name="step"/>; the table gets a sparse gradient.</summary>
        public void Backward(int step)
        {
            using DisposeScope scope = NewDisposeScope();
            var generator = new Generator((ulong)(1000 + step));
            // Some steps touch only the first half of the table, so rows differ in how often they are updated.
            Tensor indices = randint(step % 3 == 0 ? Buckets / 2 : Buckets, new long[] { Batch * 5 }, generator: generator);
            Tensor offsets = tensor(Enumerable.Range(0, Batch).Select(i => i * 5L).ToArray());
            Tensor labels = randint(Classes, new long[] { Batch }, generator: generator);
            Tensor logits = _head.forward(_embedding.forward(indices, offsets, null));
            nn.functional.cross_entropy(logits, labels).backward();
        }

        public void Dispose()
        {
            _embedding.Dispose();
            _head.Dispose();
        }
    }

    private static Optimizer CreateOne(Net net, Func<OptimizerOptions> options) =>
        options().Create(new[] { new ParameterGroup(net.Dense), ParameterGroup.SparseSgd(new[] { net.Table }, SparseRate) });

    [TestMethod]
    public void MatchesTheSeparateSparseSgdItReplacesBitForBit()
    {
        using DisposeScope scope = NewDisposeScope();
        Func<OptimizerOptions> options = () => new AdamWOptions { LearningRate = 0.02, WeightDecay = 0.01 };
        Func<ScheduleOptions> schedule = () => new WarmupLinearSchedule { WarmupSteps = 3 };

        // Before: the dense optimizer alone, clipping its own gradients, and the table updated beside it at the sparse
        // rate times the schedule's multiplier recovered from the dense rate (the old TrainingLoop + SparseSgd).
        using var before = new Net(seed: 5);
        using Optimizer dense = options().Create(before.Dense);
        LearningRateScheduler denseSchedule = schedule().Create(dense, Steps);
        // After: one optimizer with a sparse-SGD group, one scheduler.
        using var after = new Net(seed: 5);
        using Optimizer one = CreateOne(after, options);
        LearningRateScheduler oneSchedule = schedule().Create(one, Steps);

        for (int s = 0; s < Steps; s++)
        {
            dense.ZeroGrad();
            before.Table.grad = null;
            before.Backward(s);
            dense.ClipGradNorm(ClipNorm);
            dense.Step();
            using (no_grad())
            using (Scalar alpha = (-SparseRate * (dense.LearningRate / options().LearningRate)).ToScalar())
            using (Tensor grad = before.Table.grad!)
            {
                Assert.IsTrue(grad.is_sparse, "the table's gradient is sparse");
                before.Table.add_(grad, alpha);
            }
            denseSchedule.Step();

            one.ZeroGrad();
            Assert.IsNull(after.Table.grad, "ZeroGrad drops the sparse gradient");
            after.Backward(s);
            one.ClipGradNorm(ClipNorm);
            one.Step();
            oneSchedule.Step();
        }

        TestModels.AssertBitIdentical(before.All, after.All, "one optimizer with a sparse group vs optimizer + separate sparse SGD");
        Assert.AreEqual((long)Steps, one.GetStepCount(after.Table));
        Assert.IsNull(one.GetState(after.Table, "exp_avg"), "sparse SGD keeps no state");
        using Tensor changed = after.Table.ne(new Net(seed: 5).Table).any(1);
        long touched = changed.sum().item<long>();
        Assert.IsTrue(touched > 0 && touched <= Buckets, $"rows updated: {touched}");
    }

    [TestMethod]
    public void TheSchedulerScalesTheSparseGroupsBaseRate()
    {
        using DisposeScope scope = NewDisposeScope();
        using var net = new Net(seed: 6);
        using Optimizer optimizer = CreateOne(net, () => new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true });
        LearningRateScheduler scheduler = new StepDecaySchedule { StepSize = 2, Gamma = 0.5 }.Create(optimizer, 10);
        LiveParameterGroup sparse = optimizer.ParameterGroups[1];
        Assert.AreEqual(GroupUpdateRule.SparseSgd, sparse.Rule);
        Assert.AreEqual(SparseRate, sparse.InitialLearningRate);
        Assert.AreEqual(0.0, sparse.WeightDecay);
        Assert.AreEqual(0.0, sparse.Momentum, "the group does not inherit SGD's momentum");

        using var expected = new Parameter(net.Table.detach().clone());
        for (int s = 0; s < 4; s++)
        {
            optimizer.ZeroGrad();
            net.Backward(s);
            using (no_grad())
            using (Tensor grad = net.Table.grad!)
            using (Scalar alpha = (-SparseRate * Math.Pow(0.5, s / 2)).ToScalar())
            {
                expected.add_(grad, alpha);
            }
            optimizer.Step();
            TestModels.AssertBitIdentical(new[] { expected }, new[] { net.Table }, $"step {s}: p -= lr * grad at the scheduled rate");
            scheduler.Step();
        }
        Assert.AreEqual(SparseRate * 0.25, sparse.LearningRate, 1e-15, "two decays of 0.5");
        Assert.AreEqual(0.1 * 0.25, optimizer.LearningRate, 1e-15);
    }

    [TestMethod]
    public void CheckpointRoundTripResumesBitIdentically()
    {
        using DisposeScope scope = NewDisposeScope();
        Func<OptimizerOptions> options = () => new AdamWOptions { LearningRate = 0.01 };
        Func<ScheduleOptions> schedule = () => new WarmupCosineSchedule { WarmupSteps = 2 };
        const int before = 5;

        using var run = new Net(seed: 7);
        using Optimizer optimizer = CreateOne(run, options);
        LearningRateScheduler scheduler = schedule().Create(optimizer, Steps);
        var optimizerCheckpoint = new MemoryStream();
        var schedulerCheckpoint = new MemoryStream();
        using var resumed = new Net(seed: 99);
        for (int s = 0; s < Steps; s++)
        {
            if (s == before)
            {
                optimizer.Save(optimizerCheckpoint);
                scheduler.Save(schedulerCheckpoint);
                using var noGrad = no_grad();
                foreach ((Parameter from, Parameter to) in run.All.Zip(resumed.All))
                {
                    to.copy_(from);
                }
            }
            optimizer.ZeroGrad();
            run.Backward(s);
            optimizer.ClipGradNorm(ClipNorm);
            optimizer.Step();
            scheduler.Step();
        }

        using Optimizer fresh = CreateOne(resumed, options);
        LearningRateScheduler freshScheduler = schedule().Create(fresh, Steps);
        optimizerCheckpoint.Position = 0;
        schedulerCheckpoint.Position = 0;
        fresh.Load(optimizerCheckpoint);
        freshScheduler.Load(schedulerCheckpoint);
        Assert.AreEqual((long)before, fresh.GetStepCount(resumed.Table), "the sparse group's step counts are in the checkpoint");
        Assert.AreEqual(optimizer.ParameterGroups[1].InitialLearningRate, fresh.ParameterGroups[1].InitialLearningRate);
        for (int s = before; s < Steps; s++)
        {
            fresh.ZeroGrad();
            resumed.Backward(s);
            fresh.ClipGradNorm(ClipNorm);
            fresh.Step();
            freshScheduler.Step();
        }
        TestModels.AssertBitIdentical(run.All, resumed.All, "resumed run");
        Assert.AreEqual(optimizer.ParameterGroups[1].LearningRate, fresh.ParameterGroups[1].LearningRate);
        Assert.AreEqual(optimizer.GetStepCount(run.Table), fresh.GetStepCount(resumed.Table));
    }

    [TestMethod]
    public void ClippingLeavesTheSparseGroupOut()
    {
        using DisposeScope scope = NewDisposeScope();
        using var net = new Net(seed: 8);
        using Optimizer optimizer = CreateOne(net, () => new SgdOptions());
        optimizer.ZeroGrad();
        net.Backward(0);
        using Tensor sparseBefore = net.Table.grad!.to_dense();
        double denseNorm = Math.Sqrt(net.Dense.Sum(p => p.grad!.to(ScalarType.Float64).square().sum().item<double>()));
        double norm = optimizer.ClipGradNorm(1e-3);
        Assert.AreEqual(denseNorm, norm, 1e-6 * denseNorm, "the norm covers the dense gradients only");
        using Tensor sparseAfter = net.Table.grad!.to_dense();
        Assert.IsTrue(sparseBefore.eq(sparseAfter).all().item<bool>(), "the sparse gradient is not scaled");
    }

    [TestMethod]
    public void ATableWithoutGradientIsSkipped()
    {
        using DisposeScope scope = NewDisposeScope();
        using var net = new Net(seed: 9);
        using Optimizer optimizer = CreateOne(net, () => new AdamWOptions());
        using Tensor start = net.Table.detach().clone();
        optimizer.ZeroGrad();
        optimizer.Step();
        Assert.AreEqual(0L, optimizer.GetStepCount(net.Table));
        Assert.IsTrue(start.eq(net.Table).all().item<bool>());
    }

    [TestMethod]
    public void SparseGradientsOutsideASparseGroupAndDecayInsideOneAreRejected()
    {
        using DisposeScope scope = NewDisposeScope();
        using var net = new Net(seed: 10);
        using (Optimizer wrong = new AdamWOptions().Create(net.All))
        {
            net.Backward(0);
            string message = Assert.ThrowsExactly<InvalidOperationException>(() => wrong.Step()).Message;
            StringAssert.Contains(message, "sparse gradient");
            StringAssert.Contains(message, "SparseSgd");
        }
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ParameterGroup(new[] { net.Table }, weightDecay: 0.1, rule: GroupUpdateRule.SparseSgd));
        Assert.AreEqual("weightDecay", e.ParamName);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ParameterGroup.SparseSgd(new[] { net.Table }, -1));
    }
}

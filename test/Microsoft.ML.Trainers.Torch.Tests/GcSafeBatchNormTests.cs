using System;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Modules;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary><see cref="GcSafeBatchNorm"/> computes exactly what TorchSharp's BatchNorm1d/2d compute, in training and evaluation.</summary>
[TestClass]
public sealed class GcSafeBatchNormTests
{
    [TestMethod]
    [DataRow(2, DisplayName = "1d, N x C")]
    [DataRow(3, DisplayName = "1d, N x C x L")]
    [DataRow(4, DisplayName = "2d, N x C x H x W")]
    public void MatchesTorchSharpBatchNormInTrainingAndEvaluation(int rank)
    {
        const int features = 5;
        using var reference = rank == 4 ? (nn.Module<Tensor, Tensor>)nn.BatchNorm2d(features, momentum: 0.2) : nn.BatchNorm1d(features, momentum: 0.2);
        using var safe = rank == 4 ? GcSafeBatchNorm.For2d(features, momentum: 0.2) : GcSafeBatchNorm.For1d(features, momentum: 0.2);
        CollectionAssert.AreEqual(reference.state_dict().Keys.ToArray(), safe.state_dict().Keys.ToArray(), "same state-dict names");
        using (no_grad())
        {
            // Non-trivial affine parameters, the same in both.
            foreach (string name in new[] { "weight", "bias" })
            {
                Tensor values = randn(features, generator: new Generator(3));
                reference.get_parameter(name)!.copy_(values);
                safe.get_parameter(name)!.copy_(values);
            }
        }
        long[] shape = rank switch { 2 => new long[] { 8, features }, 3 => new long[] { 8, features, 6 }, _ => new long[] { 8, features, 3, 4 } };
        var generator = new Generator(7);
        reference.train();
        safe.train();
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            Tensor input = randn(shape, generator: generator) * 2 + 1;
            AssertEqual(reference.forward(input), safe.forward(input), $"training step {step}");
        }
        foreach (string buffer in new[] { "running_mean", "running_var", "num_batches_tracked" })
        {
            AssertEqual(reference.get_buffer(buffer)!, safe.get_buffer(buffer)!, buffer);
        }
        Assert.AreEqual(3L, safe.get_buffer("num_batches_tracked")!.item<long>());
        reference.eval();
        safe.eval();
        using (var scope = NewDisposeScope())
        {
            Tensor input = randn(shape, generator: generator);
            AssertEqual(reference.forward(input), safe.forward(input), "evaluation uses the running statistics");
        }
    }

    [TestMethod]
    public void RejectsAnInputOfTheWrongRank()
    {
        using var norm = GcSafeBatchNorm.For2d(3);
        using var input = zeros(2, 3);
        var error = Assert.ThrowsExactly<ArgumentException>(() => norm.forward(input));
        StringAssert.Contains(error.Message, "4-dimensional");
        StringAssert.Contains(error.Message, "[2, 3]");
    }

    private static void AssertEqual(Tensor expected, Tensor actual, string what)
    {
        Assert.AreEqual(expected.dtype, actual.dtype, what);
        CollectionAssert.AreEqual(expected.shape, actual.shape, what);
        Assert.IsTrue(expected.eq(actual).all().item<bool>(), $"{what}: values differ by up to {(expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>()}");
    }
}

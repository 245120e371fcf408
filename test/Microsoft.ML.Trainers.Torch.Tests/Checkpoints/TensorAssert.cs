using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Checkpoints;

/// <summary>Exact tensor comparison (TorchSharp's <c>Tensor.equal</c> is element-wise).</summary>
internal static class TensorAssert
{
    public static void AreEqual(Tensor expected, Tensor actual, string what = "tensor")
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        Assert.AreEqual(expected.dtype, actual.dtype, $"{what}: dtype");
        using var scope = NewDisposeScope();
        Assert.IsTrue(expected.eq(actual).all().item<bool>(), $"{what}: values differ");
    }
}

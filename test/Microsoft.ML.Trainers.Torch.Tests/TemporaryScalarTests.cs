using System.Reflection;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Modules;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The optimizers and the engine never hand libtorch a Scalar that the garbage collector may free mid-call.</summary>
[TestClass]
public sealed class TemporaryScalarTests
{
    [TestMethod]
    [DataRow("Microsoft.ML.Optimizers")]
    [DataRow("Microsoft.ML.Trainers.Torch")]
    public void LibraryCodeHoldsEveryScalarItPasses(string assemblyName)
    {
        TemporaryScalarScan.AssertNone(Assembly.Load(assemblyName));
    }

    [TestMethod]
    public void TheScanFindsTheKnownOffenders()
    {
        // This test assembly's own helper below makes each kind of temporary; the scan must report all three.
        var found = string.Join("\n", TemporaryScalarScan.Find(typeof(Offenders).Assembly));
        StringAssert.Contains(found, "Offenders.ImplicitConversion → Scalar.op_Implicit");
        StringAssert.Contains(found, "Offenders.TensorPlusTensor → Tensor.op_Addition");
        StringAssert.Contains(found, "Offenders.TorchSharpBatchNorm → nn.BatchNorm2d");
        Assert.IsFalse(found.Contains("Offenders.Held"), found);
    }

    private static class Offenders
    {
        public static torch.Tensor ImplicitConversion(torch.Tensor t) => t.mul(2.0);

        public static torch.Tensor TensorPlusTensor(torch.Tensor a, torch.Tensor b) => a + b;

        public static torch.nn.Module TorchSharpBatchNorm() => torch.nn.BatchNorm2d(4);

        public static torch.Tensor Held(torch.Tensor a, torch.Tensor b, Scalar alpha) => a.add(b, alpha);

        public static torch.nn.Module Safe() => GcSafeBatchNorm.For2d(4);
    }
}

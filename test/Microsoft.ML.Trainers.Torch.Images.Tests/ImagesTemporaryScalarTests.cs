using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The image trainer and its ResNets never hand libtorch a Scalar that the garbage collector may free mid-call.</summary>
[TestClass]
public sealed class ImagesTemporaryScalarTests
{
    [TestMethod]
    public void ImageCodeHoldsEveryScalarItPasses() => TemporaryScalarScan.AssertNone(typeof(ImageClassificationTrainer).Assembly);
}

using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The text trainer, BERT and fastText never hand libtorch a Scalar that the garbage collector may free mid-call.</summary>
[TestClass]
public sealed class TextTemporaryScalarTests
{
    [TestMethod]
    public void TextCodeHoldsEveryScalarItPasses() => TemporaryScalarScan.AssertNone(typeof(TextClassificationTrainer).Assembly);
}

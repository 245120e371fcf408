using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Images;

/// <summary>The shortcut convolution equals a strided 1x1 Conv2d in value and gradients, and survives ResNet-50's widths.</summary>
[TestClass]
public sealed class StridedPointwiseConv2dTests
{
    [TestMethod]
    [DataRow(2, 7)]
    [DataRow(2, 8)]
    [DataRow(1, 5)]
    [DataRow(3, 10)]
    public void MatchesStridedConv2dForwardAndBackward(int stride, int size)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(12);
        using var reference = nn.Conv2d(6, 10, 1, stride: stride, bias: false);
        using var ours = new StridedPointwiseConv2d(6, 10, stride);
        using (no_grad())
        {
            ours.weight.copy_(reference.weight!);
        }
        Tensor x1 = randn(new long[] { 3, 6, size, size }, requires_grad: true);
        Tensor x2 = x1.detach().clone().requires_grad_(true);
        Tensor upstream = randn(reference.forward(x1.detach()).shape);

        Tensor y1 = reference.forward(x1);
        Tensor y2 = ours.forward(x2);
        CollectionAssert.AreEqual(y1.shape, y2.shape);
        Assert.IsTrue(y1.sub(y2).abs().max().item<float>() < 1e-5);

        y1.mul(upstream).sum().backward();
        y2.mul(upstream).sum().backward();
        Assert.IsTrue(x1.grad!.sub(x2.grad!).abs().max().item<float>() < 1e-5, "input gradients");
        Assert.IsTrue(reference.weight!.grad!.sub(ours.weight.grad!).abs().max().item<float>() < 1e-4, "weight gradients");
    }

    [TestMethod]
    public void WideStridedShortcutBackwardRuns()
    {
        // libtorch 2.10's strided 1x1 Conv2d backward crashes (SIGFPE) at 1024+ output channels on the build hosts.
        using var scope = NewDisposeScope();
        using var conv = new StridedPointwiseConv2d(512, 1024, 2);
        Tensor x = randn(new long[] { 2, 512, 4, 4 }, requires_grad: true);
        conv.forward(x).sum().backward();
        CollectionAssert.AreEqual(new long[] { 2, 512, 4, 4 }, x.grad!.shape);
    }
}

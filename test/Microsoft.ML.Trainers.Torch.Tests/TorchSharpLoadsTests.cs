using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>TorchSharp's native library loads on this host (Debian 12 needs the build-time fix) and trains.</summary>
[TestClass]
public sealed class TorchSharpLoadsTests
{
    [TestMethod]
    public void TensorOpRunsInNativeCode()
    {
        using var scope = NewDisposeScope();
        Tensor a = tensor(new float[] { 1, 2, 3 });
        Tensor b = a.mul(2).sum();
        Assert.AreEqual(12f, b.item<float>());
    }

    [TestMethod]
    public void TrainingStepReducesLoss()
    {
        random.manual_seed(1);
        using var model = nn.Linear(4, 1);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var scope = NewDisposeScope();
        Tensor x = randn(32, 4);
        Tensor y = x.matmul(tensor(new float[] { 1, -2, 3, 0.5f }).unsqueeze(1));
        double Loss() => nn.functional.mse_loss(model.forward(x), y).item<float>();

        double before = Loss();
        for (int i = 0; i < 5; i++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(model.forward(x), y).backward();
            optimizer.step();
        }
        Assert.IsTrue(Loss() < before, "five SGD steps should reduce the loss");
    }
}

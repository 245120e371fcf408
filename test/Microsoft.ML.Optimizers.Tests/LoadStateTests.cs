using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// <see cref="Optimizer.LoadState"/>: the state of a saved optimizer under this optimizer's hyperparameters (a trained
/// model's optimizer continued with new settings), where <see cref="Optimizer.Load"/> takes the saved ones too.
/// </summary>
[TestClass]
public sealed class LoadStateTests
{
    [TestMethod]
    public void LoadStateKeepsTheNewHyperparametersAndContinuesTheState()
    {
        const int before = 4, after = 3;
        using DisposeScope scope = NewDisposeScope();
        Parameter[] run = TestModels.Parameters(TestModels.MixedShapes, ScalarType.Float32, seed: 41);
        Tensor?[][] grads = TestModels.Gradients(TestModels.MixedShapes, ScalarType.Float32, before + after, seed: 42);
        using Optimizer trained = new AdamWOptions { LearningRate = 1e-2, WeightDecay = 0.1 }.Create(run);
        for (int s = 0; s < before; s++)
        {
            TestModels.SetGrads(run, grads[s]);
            trained.Step();
        }
        var saved = new MemoryStream();
        trained.Save(saved);

        // The reference: the trained optimizer goes on with the new rate and decay.
        Parameter[] continued = TestModels.Copy(run);
        trained.LearningRate = 3e-3;
        trained.ParameterGroups[0].WeightDecay = 0.02;

        using Optimizer fresh = new AdamWOptions { LearningRate = 3e-3, WeightDecay = 0.02 }.Create(continued);
        saved.Position = 0;
        fresh.LoadState(saved);
        Assert.AreEqual(3e-3, fresh.ParameterGroups[0].LearningRate, "the new rate stays");
        Assert.AreEqual(3e-3, fresh.ParameterGroups[0].InitialLearningRate, "the new initial rate stays (schedules scale it)");
        Assert.AreEqual(0.02, fresh.ParameterGroups[0].WeightDecay, "the new weight decay stays");
        Assert.AreEqual((long)before, fresh.StepCount, "the step count continues (Adam's bias correction)");
        for (int s = before; s < before + after; s++)
        {
            TestModels.SetGrads(run, grads[s]);
            trained.Step();
            TestModels.SetGrads(continued, grads[s]);
            fresh.Step();
        }
        TestModels.AssertBitIdentical(run, continued, "AdamW continued from its state under new hyperparameters");

        using Optimizer loaded = new AdamWOptions { LearningRate = 3e-3, WeightDecay = 0.02 }.Create(TestModels.Copy(run));
        saved.Position = 0;
        loaded.Load(saved);
        Assert.AreEqual(1e-2, loaded.ParameterGroups[0].LearningRate, "Load restores the saved hyperparameters, as PyTorch's load_state_dict");
    }
}

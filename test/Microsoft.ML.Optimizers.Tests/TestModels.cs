using System;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>Deterministic parameters and gradients for tests.</summary>
internal static class TestModels
{
    /// <summary>Shapes that exercise vector bodies, scalar tails and 1-D tensors.</summary>
    public static readonly long[][] MixedShapes = { new long[] { 300, 129 }, new long[] { 1000 }, new long[] { 17 }, new long[] { 64, 64 }, new long[] { 3 } };

    public static Parameter[] Parameters(long[][] shapes, ScalarType dtype, int seed)
    {
        var generator = new Generator((ulong)seed);
        return shapes.Select(s => new Parameter(randn(s, dtype, generator: generator))).ToArray();
    }

    /// <summary>
    /// Gradients for <paramref name="steps"/> steps; tensor t has no gradient at step s when <paramref name="skip"/>(s, t).
    /// </summary>
    public static Tensor?[][] Gradients(long[][] shapes, ScalarType dtype, int steps, int seed, Func<int, int, bool>? skip = null)
    {
        var generator = new Generator((ulong)seed);
        return Enumerable.Range(0, steps).Select(s => shapes.Select((shape, t) =>
        {
            Tensor g = randn(shape, dtype, generator: generator).DetachFromDisposeScope();
            return skip is not null && skip(s, t) ? null : g;
        }).ToArray()).ToArray();
    }

    public static void SetGrads(Parameter[] parameters, Tensor?[] grads)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            if (grads[i] is null)
            {
                parameters[i].grad = null;
            }
            else
            {
                using Tensor copy = grads[i]!.clone();
                parameters[i].grad = copy;
            }
        }
    }

    public static Parameter[] Copy(Parameter[] parameters) =>
        parameters.Select(p => new Parameter(p.detach().clone())).ToArray();

    public static void AssertBitIdentical(Parameter[] expected, Parameter[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            using Tensor same = expected[i].eq(actual[i]).all();
            if (!same.item<bool>())
            {
                using Tensor diff = (expected[i] - actual[i]).abs().max();
                Microsoft.VisualStudio.TestTools.UnitTesting.Assert.Fail($"{what}: parameter {i} differs (max |diff| {diff.to(ScalarType.Float64).item<double>():E3}).");
            }
        }
    }
}

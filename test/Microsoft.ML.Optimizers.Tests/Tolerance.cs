using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>Element-wise comparison with relative + absolute tolerance, and statistics on exactness.</summary>
internal readonly record struct Tolerance(double Relative, double Absolute)
{
    /// <summary>The tolerances: float32 1e-6 relative + 1e-7 absolute, float64 1e-12.</summary>
    public static Tolerance For(torch.ScalarType dtype) =>
        dtype == torch.ScalarType.Float64 ? new Tolerance(1e-12, 1e-14) : new Tolerance(1e-6, 1e-7);

    public bool Accepts(double actual, double expected) =>
        Math.Abs(actual - expected) <= Absolute + Relative * Math.Abs(expected) || (double.IsNaN(actual) && double.IsNaN(expected));

    public void AssertClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        for (int i = 0; i < expected.Length; i++)
        {
            if (!Accepts(actual[i], expected[i]))
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (diff {actual[i] - expected[i]:E3}, tolerance {Relative:E0} rel + {Absolute:E0} abs).");
            }
        }
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Per-tensor L2 norms for the layer-wise optimizers (LAMB, LARS): squares in the tensor's type, summed in float64 so
/// that a large tensor's norm does not lose digits (a float32 sum over millions of values does).
/// </summary>
internal static class TensorNorms
{
    /// <summary>The sum of squares of <paramref name="t"/>, accumulated in float64.</summary>
    public static double SquaredNorm(Tensor t)
    {
        // mul rather than square(): TorchSharp's square() passes libtorch a temporary Scalar exponent.
        using Tensor squares = t.mul(t);
        using Tensor sum = squares.sum(ScalarType.Float64);
        return sum.item<double>();
    }

    /// <summary>The L2 norm of <paramref name="t"/>, accumulated in float64.</summary>
    public static double Norm(Tensor t) => System.Math.Sqrt(SquaredNorm(t));

    /// <summary><paramref name="value"/> as the tensor type sees it (PyTorch computes trust ratios in that type).</summary>
    public static double InType(double value, ScalarType dtype) => dtype == ScalarType.Float32 ? (float)value : value;
}

using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Per-tensor L2 norms for the layer-wise optimizers (LAMB, LARS): squares in the tensor's type, summed in float64 so
/// that a large tensor's norm does not lose digits (a float32 sum over millions of values does).
/// </summary>
internal static class TensorNorms
{
    /// <summary>Elements converted to float64 at a time: large enough for few calls, small enough to stay in cache.</summary>
    private const long PieceElements = 1 << 16;

    /// <summary>The sum of squares of <paramref name="t"/>, accumulated in float64.</summary>
    public static double SquaredNorm(Tensor t)
    {
        // Squares of float64 copies taken piece by piece: libtorch's sum(dtype: float64) of a float32 tensor runs a
        // scalar conversion loop (about 100x slower than this), and one float64 copy of a large tensor doubles its memory.
        using Tensor flat = t.reshape(-1);
        long numel = flat.shape[0];
        using Tensor wide = torch.empty(Math.Min(numel, PieceElements), ScalarType.Float64, t.device);
        using Tensor total = torch.zeros(Array.Empty<long>(), ScalarType.Float64, t.device);
        for (long start = 0; start < numel; start += PieceElements)
        {
            long length = Math.Min(PieceElements, numel - start);
            using Tensor source = flat.narrow(0, start, length);
            using Tensor piece = wide.narrow(0, 0, length);
            piece.copy_(source).mul_(piece);
            using Tensor sum = piece.sum();
            total.add_(sum, Scalars.One);
        }
        return total.item<double>();
    }

    /// <summary>The L2 norm of <paramref name="t"/>, accumulated in float64.</summary>
    public static double Norm(Tensor t) => System.Math.Sqrt(SquaredNorm(t));

    /// <summary><paramref name="value"/> as the tensor type sees it (PyTorch computes trust ratios in that type).</summary>
    public static double InType(double value, ScalarType dtype) => dtype == ScalarType.Float32 ? (float)value : value;
}

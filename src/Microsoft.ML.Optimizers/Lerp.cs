using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// <c>start.lerp_(end, weight)</c> with a scalar weight, rounded exactly as ATen's kernel: TorchSharp only binds the
/// tensor-weight overload, whose CPU kernel rounds differently in its scalar loop. ATen computes
/// <c>start + w * (end - start)</c> for |w| &lt; 0.5 and <c>end + (w - 1) * (end - start)</c> otherwise, each as one
/// fused multiply-add; <c>add_(x, alpha)</c> is that fused multiply-add.
/// </summary>
internal sealed class Lerp : IDisposable
{
    private readonly bool _small;
    private readonly Scalar _alpha;

    public Lerp(double weight, ScalarType dtype)
    {
        // The kernel sees the weight in the tensor's precision.
        double w = dtype == ScalarType.Float32 ? (float)weight : weight;
        _small = Math.Abs(w) < 0.5;
        _alpha = (_small ? w : w - 1).ToScalar();
    }

    /// <summary>start = lerp(start, end, weight), using <paramref name="scratch"/> (same length) for end - start.</summary>
    public void Apply(Tensor start, Tensor end, Tensor scratch)
    {
        scratch.copy_(end).sub_(start);
        if (_small)
        {
            start.add_(scratch, _alpha);
        }
        else
        {
            start.copy_(end).add_(scratch, _alpha);
        }
    }

    public void Dispose() => _alpha.Dispose();
}

using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// <c>start.lerp_(end, weight)</c> with a scalar weight, rounded exactly as ATen's scalar-weight kernel (the one PyTorch's
/// optimizers call). TorchSharp only binds the tensor-weight overload, whose CPU kernel rounds differently in its scalar
/// loop. ATen computes <c>start + w * (end - start)</c> for |w| &lt; 0.5 and <c>end + (w - 1) * (end - start)</c>
/// otherwise, each as one fused multiply-add, which is what <c>add_(x, alpha)</c> computes.
/// </summary>
/// <remarks>
/// For float16 and bfloat16 the kernel works in float32 internally, which the rewrite cannot reproduce (it would round
/// <c>end - start</c> to the tensor's type), so those types use the tensor-weight kernel.
/// </remarks>
internal sealed class Lerp : IDisposable
{
    private readonly bool _small;
    private readonly Scalar? _alpha;
    private readonly Tensor? _weight;

    public Lerp(double weight, ScalarType dtype, Device device)
    {
        if (dtype is ScalarType.Float32 or ScalarType.Float64)
        {
            // The kernel sees the weight in the tensor's precision.
            double w = dtype == ScalarType.Float32 ? (float)weight : weight;
            _small = Math.Abs(w) < 0.5;
            _alpha = (_small ? w : w - 1).ToScalar();
        }
        else
        {
            _weight = torch.tensor(weight, ScalarType.Float32, device).to(dtype).DetachFromDisposeScope();
        }
    }

    /// <summary>start = lerp(start, end, weight), using <paramref name="scratch"/> (same length) for end - start.</summary>
    public void Apply(Tensor start, Tensor end, Tensor scratch)
    {
        if (_weight is not null)
        {
            start.lerp_(end, _weight);
            return;
        }
        scratch.copy_(end).sub_(start);
        if (_small)
        {
            start.add_(scratch, _alpha!);
        }
        else
        {
            start.copy_(end).add_(scratch, _alpha!);
        }
    }

    /// <summary>
    /// start = lerp(start, end, weight) like <see cref="Apply"/>, with the same rounding, but overwriting
    /// <paramref name="end"/> (a temporary the caller no longer needs) instead of taking scratch: for |weight| &lt; 0.5,
    /// the usual case after the first steps, nothing is allocated.
    /// </summary>
    public void ApplyConsumingEnd(Tensor start, Tensor end)
    {
        if (_weight is not null)
        {
            start.lerp_(end, _weight);
            return;
        }
        if (_small)
        {
            start.add_(end.sub_(start), _alpha!);
            return;
        }
        // The large-weight form needs end and end - start at once.
        using Tensor difference = end.sub(start);
        start.copy_(end).add_(difference, _alpha!);
    }

    public void Dispose()
    {
        _alpha?.Dispose();
        _weight?.Dispose();
    }
}

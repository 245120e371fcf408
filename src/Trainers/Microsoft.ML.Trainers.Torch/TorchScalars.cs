using TorchSharp;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Scalars that live for the whole process. TorchSharp's one-argument <c>add_(x)</c> passes a temporary
/// <see cref="Scalar"/> 1 as alpha that nothing keeps alive during the native call, so the garbage collector may free it
/// while libtorch reads it (sporadic errors from <c>c10::Scalar::toFloat</c>); calls here pass <see cref="One"/> instead.
/// TorchSharp makes such temporaries wherever a number meets a tensor (<c>a + b</c> of two tensors, <c>x * 2.0</c>,
/// <c>BatchNorm.forward</c>), so library code adds with an explicit alpha, multiplies by held scalars and normalizes
/// with <see cref="Modules.GcSafeBatchNorm"/>.
/// </summary>
internal static class TorchScalars
{
    public static readonly Scalar One = 1.ToScalar();
}

using TorchSharp;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Scalars that live for the whole process. TorchSharp's one-argument <c>add_(x)</c> passes a temporary
/// <see cref="Scalar"/> 1 as alpha that nothing keeps alive during the native call, so the garbage collector may free it
/// while libtorch reads it (sporadic errors from <c>c10::Scalar::toFloat</c>); calls here pass <see cref="One"/> instead.
/// </summary>
internal static class TorchScalars
{
    public static readonly Scalar One = 1.ToScalar();
}

using TorchSharp;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Scalars that live for the whole process. TorchSharp's one-argument <c>add_(x)</c> passes a temporary
/// <see cref="Scalar"/> 1 as alpha, which nothing keeps alive during the native call: the garbage collector may finalize
/// it (freeing the native scalar) while libtorch reads it, giving sporadic "Expected false to be true" errors from
/// <c>c10::Scalar::toFloat</c>. Every such call here passes <see cref="One"/> explicitly.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar One = 1.ToScalar();
}

using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The torch random generator of the fit running on the current thread. libtorch's default generator is one per process,
/// so two concurrent fits drawing from it (dropout, sampling) interleave their draws and train different models than the
/// same fits run one after the other. Each fit owns a <see cref="Generator"/>, makes it current for its thread while it
/// trains (<see cref="Use"/>), and the model's random operations (<see cref="Dropout"/>) draw from it.
/// </summary>
internal static class TrainingGenerator
{
    [ThreadStatic]
    private static Generator? _current;

    /// <summary>
    /// Held while a fit seeds the process-wide generator and builds its model (TorchSharp's layers initialise their
    /// weights from that generator in their constructors), so two fits never interleave those draws.
    /// </summary>
    public static readonly object InitializationLock = new();

    /// <summary>The current thread's training generator, or null (then the process-wide one is used).</summary>
    public static Generator? Current => _current;

    /// <summary>Makes <paramref name="generator"/> current on this thread until the returned scope is disposed.</summary>
    public static Scope Use(Generator generator)
    {
        Generator? previous = _current;
        _current = generator;
        return new Scope(previous);
    }

    /// <summary>
    /// Inverted dropout as libtorch's (<c>input · bernoulli(1 − p) / (1 − p)</c>), drawing from <see cref="Current"/>;
    /// the input unchanged (a new handle) when not <paramref name="training"/> or <paramref name="p"/> is 0.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p, bool training)
    {
        if (!training || p == 0)
        {
            return input.alias();
        }
        using var scope = NewDisposeScope();
        Tensor noise = empty_like(input).bernoulli_(1 - p, _current);
        using Scalar scale = (1.0 / (1 - p)).ToScalar();
        noise.mul_(scale);
        return input.mul(noise).MoveToOuterDisposeScope();
    }

    /// <summary>Restores the previously current generator.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Generator? _previous;

        internal Scope(Generator? previous) => _previous = previous;

        /// <summary>Restores the generator that was current before <see cref="Use"/>.</summary>
        public void Dispose() => _current = _previous;
    }
}

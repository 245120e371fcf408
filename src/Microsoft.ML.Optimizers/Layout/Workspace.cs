namespace Microsoft.ML.Optimizers;

/// <summary>
/// The per-worker scratch buffers of a <see cref="FlatBucket"/> (one chunk each, see <see cref="ChunkExecutor"/>): the
/// portable update paths and the norm computation keep intermediate results here instead of allocating per step.
/// </summary>
internal enum Workspace
{
    /// <summary>A chunk in the bucket's type (e.g. the negated or decayed gradient).</summary>
    Primary,

    /// <summary>A second chunk in the bucket's type (e.g. Adam's denominator).</summary>
    Secondary,

    /// <summary>A chunk in float64, for square roots and sums that must not lose digits.</summary>
    Float64,
}

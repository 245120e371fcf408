namespace Microsoft.ML.Optimizers;

/// <summary>How a one-cycle schedule moves between its end points (PyTorch's <c>anneal_strategy</c>).</summary>
public enum AnnealStrategy
{
    /// <summary>Half a cosine wave ("cos").</summary>
    Cosine,

    /// <summary>A straight line ("linear").</summary>
    Linear,
}

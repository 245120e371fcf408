using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Classic Adam, exactly as PyTorch's <c>torch.optim.Adam</c>: weight decay is coupled L2 (<c>g += wd * p</c>), the
/// variant AdamW fixes; kept for comparisons and for reproducing older recipes (ML.NET's own text classifier uses it).
/// Defaults are PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.
/// </summary>
public sealed class AdamOptions : AdamFamilyOptions
{
    /// <summary>Creates options with PyTorch's defaults (lr 1e-3, weight decay 0).</summary>
    public AdamOptions() : base(learningRate: 1e-3, weightDecay: 0.0)
    {
    }

    /// <inheritdoc/>
    public override string AlgorithmName => "Adam";

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) =>
        new AdamOptimizer(this, groups, decoupledWeightDecay: false);
}

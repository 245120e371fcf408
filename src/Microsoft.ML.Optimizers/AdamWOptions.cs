using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Adam with decoupled weight decay, exactly as PyTorch's <c>torch.optim.AdamW</c>: each step first shrinks the
/// parameters by <c>p *= 1 - lr * wd</c>, then applies the bias-corrected Adam update (optionally AMSGrad).
/// Defaults are PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
/// </summary>
public sealed class AdamWOptions : AdamFamilyOptions
{
    /// <summary>Creates options with PyTorch's defaults (lr 1e-3, weight decay 0.01).</summary>
    public AdamWOptions() : base(learningRate: 1e-3, weightDecay: 0.01)
    {
    }

    /// <inheritdoc/>
    public override string AlgorithmName => "AdamW";

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) =>
        new AdamOptimizer(this, groups, decoupledWeightDecay: true);
}

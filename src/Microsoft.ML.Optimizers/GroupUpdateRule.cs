namespace Microsoft.ML.Optimizers;

/// <summary>
/// How an optimizer updates a parameter group (optax's <c>partition</c>: each group has its own update rule, all
/// driven by the same <see cref="Optimizer.Step"/>, scheduler and checkpoint).
/// </summary>
public enum GroupUpdateRule
{
    /// <summary>The optimizer's own algorithm (SGD, AdamW, ...) over flat buffers; gradients must be dense.</summary>
    Optimizer,

    /// <summary>
    /// Plain SGD, <c>p -= lr * grad</c>, for parameters with sparse gradients such as a hashed embedding table: only the
    /// rows a batch touched change, as in fastText and <c>torch.optim.SGD</c> with sparse gradients. No momentum, no
    /// weight decay, no state; gradient clipping leaves these gradients out; <see cref="Optimizer.ZeroGrad"/> sets them
    /// to null (a sparse gradient cannot be zeroed in place).
    /// </summary>
    SparseSgd,
}

namespace Microsoft.ML.Optimizers;

/// <summary>
/// An optimizer that keeps a diagonal Hessian estimate refreshed by the training loop (SophiaG). Every few steps the
/// loop computes gradients of an estimator loss (e.g. the loss on labels sampled from the model's own predictions,
/// Gauss-Newton-Bartlett) and calls <see cref="UpdateHessian"/> with those gradients in place of the usual ones.
/// </summary>
public interface IHessianEstimating
{
    /// <summary>
    /// Folds the current gradients into the Hessian estimate: <c>h = beta2 * h + (1 - beta2) * g * g</c> for every
    /// parameter that has a gradient (the reference's <c>update_hessian()</c>). Does not change the parameters.
    /// </summary>
    void UpdateHessian();
}

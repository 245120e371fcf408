using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// A training batch whose examples were mixed (mixup, CutMix): the mixed inputs and the soft targets (one row of class
/// probabilities per example) the loss compares the predictions with.
/// </summary>
/// <param name="Inputs">The mixed input tensors, in place of the collated ones.</param>
/// <param name="Targets">Soft targets, examples × classes, each row summing to 1.</param>
public sealed record MixedBatch(IReadOnlyList<Tensor> Inputs, Tensor Targets)
{
    /// <summary>Mean soft-target cross-entropy, <c>−Σ target · log_softmax(logits)</c> per example (timm's <c>SoftTargetCrossEntropy</c>).</summary>
    public Tensor Loss(Tensor logits) => Targets.mul(nn.functional.log_softmax(logits, 1)).sum(1).mean().neg();
}

using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// The <see cref="GroupUpdateRule.SparseSgd"/> rule for one group: <c>p -= lr * grad</c> on the rows a sparse gradient
/// touched, as fastText and <c>torch.optim.SGD</c> do for sparse gradients. These parameters stay out of the flat buffers:
/// a dense gradient of a 2^20-row table would cost a full pass over it every step.
/// </summary>
internal sealed class SparseSgdGroup
{
    public SparseSgdGroup(int groupIndex, IReadOnlyList<Slot> slots)
    {
        GroupIndex = groupIndex;
        Slots = slots;
    }

    public int GroupIndex { get; }

    /// <summary>The group's parameters; only <see cref="Slot.Steps"/> is used (there is no state).</summary>
    public IReadOnlyList<Slot> Slots { get; }

    /// <summary>Updates every parameter that has a gradient at the group's current learning rate. Must run under <c>no_grad</c>.</summary>
    public void Step(LiveParameterGroup group, bool maximize)
    {
        // Held for the whole loop: a temporary Scalar could be finalized during the native call.
        using Scalar alpha = (maximize ? group.LearningRate : -group.LearningRate).ToScalar();
        foreach (Slot slot in Slots)
        {
            using Tensor? grad = slot.Parameter.grad;
            if (grad is null)
            {
                continue;
            }
            slot.Parameter.add_(grad, alpha);
            slot.Steps++;
        }
    }

    /// <summary>Drops the gradients: a sparse gradient cannot be zeroed in place, and the next backward makes a new one.</summary>
    public void ClearGrads()
    {
        foreach (Slot slot in Slots)
        {
            slot.Parameter.grad = null;
        }
    }
}

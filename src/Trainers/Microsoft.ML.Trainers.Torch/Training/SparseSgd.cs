using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Plain SGD for parameters with sparse gradients (embedding tables of which a batch touches a few rows):
/// <c>p -= lr * grad</c> on the touched rows only, as fastText and <c>torch.optim.SGD</c> do for sparse
/// gradients. The flat-buffer optimizers need dense gradients, and a dense gradient of a 2^20-row table would
/// cost a full pass over it every step.
/// </summary>
internal sealed class SparseSgd
{
    private readonly Parameter[] _parameters;

    public SparseSgd(IEnumerable<Parameter> parameters, double learningRate)
    {
        _parameters = parameters.ToArray();
        if (!double.IsFinite(learningRate) || learningRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), $"The learning rate of sparse-gradient parameters must be positive (was {learningRate}).");
        }
        LearningRate = learningRate;
    }

    /// <summary>The rate before the schedule's multiplier.</summary>
    public double LearningRate { get; }

    /// <summary>Updates every parameter that has a gradient, at <see cref="LearningRate"/> × <paramref name="scheduleFactor"/>.</summary>
    public void Step(double scheduleFactor)
    {
        using var noGrad = no_grad();
        // Held for the whole loop: a temporary Scalar could be finalized during the native call.
        using Scalar alpha = (-LearningRate * scheduleFactor).ToScalar();
        foreach (Parameter p in _parameters)
        {
            if (p.grad is Tensor grad)
            {
                p.add_(grad, alpha);
            }
        }
    }

    /// <summary>Drops the gradients: a sparse gradient cannot be zeroed in place, and the next backward makes a new one.</summary>
    public void ZeroGrad()
    {
        foreach (Parameter p in _parameters)
        {
            p.grad = null;
        }
    }
}

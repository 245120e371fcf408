using System;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Thrown when training produces a non-finite loss, gradient norm or weights: the run stops rather than return a
/// model that scores NaN. Lower the learning rate, turn on <see cref="TorchTrainerOptions.GradientClipNorm"/>, or set
/// <see cref="TorchTrainerOptions.SkipNonFiniteSteps"/> to drop such steps instead.
/// </summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception for the given step.</summary>
    /// <param name="epoch">1-based epoch of the step.</param>
    /// <param name="step">1-based step within the epoch.</param>
    /// <param name="loss">The step's loss.</param>
    /// <param name="learningRate">The learning rate of the step.</param>
    /// <param name="gradientNorm">The global gradient norm, when it was computed.</param>
    /// <param name="reason">What was found non-finite, or why the run stopped.</param>
    public TrainingDivergedException(int epoch, int step, double loss, double learningRate, double? gradientNorm, string reason)
        : base($"Training diverged at epoch {epoch}, step {step}: {reason} (loss={loss:G6}, learning rate={learningRate:G6}" +
            (gradientNorm is double norm ? $", gradient norm={norm:G6}" : "") +
            "). Lower the learning rate, set GradientClipNorm, or set SkipNonFiniteSteps to skip such steps.")
    {
        Epoch = epoch;
        Step = step;
        Loss = loss;
        LearningRate = learningRate;
        GradientNorm = gradientNorm;
    }

    /// <summary>1-based epoch in which training diverged.</summary>
    public int Epoch { get; }

    /// <summary>1-based step within <see cref="Epoch"/>.</summary>
    public int Step { get; }

    /// <summary>The loss of that step (NaN or infinite when the loss itself diverged).</summary>
    public double Loss { get; }

    /// <summary>The learning rate of that step.</summary>
    public double LearningRate { get; }

    /// <summary>The global gradient norm of that step, when it was computed (clipping or skip mode).</summary>
    public double? GradientNorm { get; }
}

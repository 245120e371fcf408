using System.Collections.Generic;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Adafactor (Shazeer and Stern 2018), as <c>torch.optim.Adafactor</c>: for tensors of two or more dimensions the
/// second moment is factored into row and column averages over the last two dimensions, so its state is a few values
/// per row and column rather than one per parameter; vectors keep a full variance. The step size is relative to the
/// parameter's RMS and the update is clipped by its own RMS. No first moment. Defaults (PyTorch): lr 1e-2, beta2 decay
/// -0.8, eps (machine epsilon, 1e-3), d 1.0, weight decay 0 (decoupled).
/// </summary>
public sealed class AdafactorOptions : OptimizerOptions
{
    private double _beta2Decay = -0.8;
    private double? _epsilon1;
    private double _epsilon2 = 1e-3;
    private double _clipThreshold = 1.0;

    /// <summary>Creates options with PyTorch's defaults.</summary>
    public AdafactorOptions() : base(learningRate: 1e-2, weightDecay: 0.0)
    {
    }

    /// <summary>The exponent of the second-moment decay schedule, <c>step^Beta2Decay</c> (&lt;= 0); default -0.8.</summary>
    public double Beta2Decay
    {
        get => _beta2Decay;
        set
        {
            Check.Finite(value, nameof(Beta2Decay));
            if (value > 0)
            {
                throw new System.ArgumentOutOfRangeException(nameof(Beta2Decay), value, $"{nameof(Beta2Decay)} must be <= 0 (was {value}).");
            }
            _beta2Decay = value;
        }
    }

    /// <summary>Floor of the variance estimate (&gt;= 0); null (default) is the machine epsilon of the parameters' type.</summary>
    public double? Epsilon1
    {
        get => _epsilon1;
        set => _epsilon1 = value is double v ? Check.NonNegative(v, nameof(Epsilon1)) : null;
    }

    /// <summary>Floor of the parameter RMS that scales the step (&gt;= 0); default 1e-3.</summary>
    public double Epsilon2
    {
        get => _epsilon2;
        set => _epsilon2 = Check.NonNegative(value, nameof(Epsilon2));
    }

    /// <summary>The update-RMS clipping threshold <c>d</c> (&gt;= 1); default 1.0.</summary>
    public double ClipThreshold
    {
        get => _clipThreshold;
        set => _clipThreshold = Check.AtLeast(value, 1.0, nameof(ClipThreshold));
    }

    /// <inheritdoc/>
    public override string AlgorithmName => "Adafactor";

    // Adafactor has no first moment; groups' momentum is unused.
    internal override double DefaultMomentum => 0;

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) => new AdafactorOptimizer(this, groups);
}

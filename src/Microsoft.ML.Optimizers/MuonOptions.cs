using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Optimizers;

/// <summary>How Muon scales the learning rate by a matrix's shape (torch.optim.Muon's <c>adjust_lr_fn</c>).</summary>
public enum MuonLearningRateAdjustment
{
    /// <summary><c>lr * sqrt(max(1, rows / cols))</c> (Keller Jordan's original; torch's default).</summary>
    Original,

    /// <summary><c>lr * 0.2 * sqrt(max(rows, cols))</c>: update RMS like AdamW's, so AdamW's rates and decay carry over.</summary>
    MatchRmsAdamW,
}

/// <summary>
/// Muon (Jordan et al. 2024, "MomentUm Orthogonalized by Newton-Schulz"), as <c>torch.optim.Muon</c>: SGD momentum
/// (an exponential average, with Nesterov by default) whose update is replaced by its nearest semi-orthogonal matrix,
/// computed by a few Newton–Schulz iterations; decoupled weight decay. For 2-D weights (convolution kernels are
/// flattened to out_channels × rest, as in Keller Jordan's Muon; torch's Muon refuses them): put embeddings, heads,
/// biases and norms in an AdamW optimizer of their own. One state buffer per parameter. Defaults (torch): lr 1e-3,
/// weight decay 0.1, momentum 0.95, Nesterov, coefficients (3.4445, -4.7750, 2.0315), eps 1e-7, 5 steps.
/// </summary>
public sealed class MuonOptions : OptimizerOptions
{
    private double _momentum = 0.95;
    private double _epsilon = 1e-7;
    private int _newtonSchulzSteps = 5;
    private double[] _coefficients = { 3.4445, -4.7750, 2.0315 };
    private double _fallbackLearningRate = 3e-4;
    private double _fallbackWeightDecay = 0.01;
    private double _fallbackBeta1 = 0.9;
    private double _fallbackBeta2 = 0.95;
    private double _fallbackEpsilon = 1e-10;

    /// <summary>Creates options with torch.optim.Muon's defaults.</summary>
    public MuonOptions() : base(learningRate: 1e-3, weightDecay: 0.1)
    {
    }

    /// <summary>The momentum (0 &lt;= value &lt; 1); default 0.95.</summary>
    public double Momentum
    {
        get => _momentum;
        set => _momentum = Check.Beta(value, nameof(Momentum));
    }

    /// <summary>Use Nesterov momentum (default true).</summary>
    public bool Nesterov { get; set; } = true;

    /// <summary>The floor of the Frobenius norm the update is divided by (&gt; 0); default 1e-7.</summary>
    public double Epsilon
    {
        get => _epsilon;
        set => _epsilon = Check.Positive(value, nameof(Epsilon));
    }

    /// <summary>The number of Newton–Schulz iterations (&gt;= 1); default 5.</summary>
    public int NewtonSchulzSteps
    {
        get => _newtonSchulzSteps;
        set => _newtonSchulzSteps = (int)Check.Positive(value, nameof(NewtonSchulzSteps));
    }

    /// <summary>The quintic iteration's coefficients (a, b, c); default (3.4445, -4.7750, 2.0315).</summary>
    public IReadOnlyList<double> NewtonSchulzCoefficients
    {
        get => _coefficients;
        set
        {
            ArgumentNullException.ThrowIfNull(value, nameof(NewtonSchulzCoefficients));
            if (value.Count != 3 || value.Any(v => !double.IsFinite(v)))
            {
                throw new ArgumentOutOfRangeException(nameof(NewtonSchulzCoefficients), $"{nameof(NewtonSchulzCoefficients)} must be three finite numbers (a, b, c).");
            }
            _coefficients = value.ToArray();
        }
    }

    /// <summary>How the learning rate scales with a matrix's shape; default <see cref="MuonLearningRateAdjustment.Original"/>.</summary>
    public MuonLearningRateAdjustment LearningRateAdjustment { get; set; }

    /// <summary>
    /// Run the Newton–Schulz iterations in bfloat16, as torch.optim.Muon does (much faster on CPUs with bfloat16 matrix
    /// units; results differ from the parameter-type iterations by about 1e-3). Default false: the parameter's type.
    /// </summary>
    public bool NewtonSchulzInBFloat16 { get; set; }

    /// <summary>
    /// The learning rate of the AdamW fallback a training loop uses for the parameters Muon does not take (embeddings,
    /// head, biases, norms, non-matrix weights); default 3e-4, as Keller Jordan's <c>MuonWithAuxAdam</c> example.
    /// </summary>
    public double FallbackLearningRate
    {
        get => _fallbackLearningRate;
        set => _fallbackLearningRate = Check.NonNegative(value, nameof(FallbackLearningRate));
    }

    /// <summary>The AdamW fallback's decoupled weight decay (&gt;= 0); default 0.01 (Keller Jordan's example).</summary>
    public double FallbackWeightDecay
    {
        get => _fallbackWeightDecay;
        set => _fallbackWeightDecay = Check.NonNegative(value, nameof(FallbackWeightDecay));
    }

    /// <summary>The AdamW fallback's beta1, 0 &lt;= value &lt; 1; default 0.9.</summary>
    public double FallbackBeta1
    {
        get => _fallbackBeta1;
        set => _fallbackBeta1 = Check.Beta(value, nameof(FallbackBeta1));
    }

    /// <summary>The AdamW fallback's beta2, 0 &lt;= value &lt; 1; default 0.95 (Keller Jordan's example).</summary>
    public double FallbackBeta2
    {
        get => _fallbackBeta2;
        set => _fallbackBeta2 = Check.Beta(value, nameof(FallbackBeta2));
    }

    /// <summary>The AdamW fallback's epsilon (&gt; 0); default 1e-10 (<c>MuonWithAuxAdam</c>'s).</summary>
    public double FallbackEpsilon
    {
        get => _fallbackEpsilon;
        set => _fallbackEpsilon = Check.Positive(value, nameof(FallbackEpsilon));
    }

    /// <summary>The AdamW options of the fallback optimizer, from the <c>Fallback*</c> settings.</summary>
    public AdamWOptions CreateFallbackOptions() => new()
    {
        LearningRate = FallbackLearningRate,
        WeightDecay = FallbackWeightDecay,
        Beta1 = FallbackBeta1,
        Beta2 = FallbackBeta2,
        Epsilon = FallbackEpsilon,
        Maximize = Maximize,
        UseFusedKernels = UseFusedKernels,
    };

    /// <inheritdoc/>
    public override string AlgorithmName => "Muon";

    internal override double DefaultMomentum => Momentum;

    internal override void ValidateGroup(LiveParameterGroup group)
    {
        Check.Beta(group.Momentum, nameof(Momentum));
        foreach (TorchSharp.Modules.Parameter p in group.Parameters)
        {
            if (p.dim() < 2)
            {
                throw new ArgumentException(
                    $"Muon updates 2-D weights only (and convolution kernels, as out × rest matrices); a parameter of group '{group.Name ?? "(unnamed)"}' has shape [{string.Join(", ", p.shape)}]. "
                    + "Optimize embeddings, heads, biases and norms with AdamW in a separate optimizer.");
            }
        }
    }

    internal override Optimizer CreateOptimizer(IReadOnlyList<LiveParameterGroup> groups) => new MuonOptimizer(this, groups);
}

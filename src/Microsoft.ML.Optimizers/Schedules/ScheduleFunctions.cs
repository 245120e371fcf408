using System;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// The schedules as plain functions of the 0-based optimizer step, like optax's: compose them freely, or set
/// <see cref="Optimizer.LearningRate"/> from them yourself. Multipliers are applied to each group's initial learning rate.
/// The arithmetic follows the reference formulas term by term (same operations in the same order as PyTorch).
/// </summary>
public static class ScheduleFunctions
{
    /// <summary>Linear warmup multiplier: <c>(step + 1) / warmupSteps</c> during warmup, then 1.</summary>
    /// <param name="step">0-based step.</param>
    /// <param name="warmupSteps">Steps of warmup (0 for none).</param>
    public static double LinearWarmup(long step, long warmupSteps) =>
        step < warmupSteps ? (double)(step + 1) / warmupSteps : 1.0;

    /// <summary>
    /// Linear warmup, then cosine decay to <paramref name="minRatio"/>:
    /// <c>(s+1)/W</c> for <c>s &lt; W</c>, else <c>minRatio + (1 - minRatio) * 0.5 * (1 + cos(pi * progress))</c> with
    /// <c>progress = (s - W) / (T - W)</c>
    /// (held at its final value after <paramref name="totalSteps"/>).
    /// </summary>
    /// <param name="step">0-based step.</param>
    /// <param name="warmupSteps">Steps of warmup, W.</param>
    /// <param name="totalSteps">Total steps, T.</param>
    /// <param name="minRatio">The multiplier reached at the end, between 0 and 1.</param>
    public static double WarmupCosine(long step, long warmupSteps, long totalSteps, double minRatio = 0.0)
    {
        if (step < warmupSteps)
        {
            return LinearWarmup(step, warmupSteps);
        }
        if (totalSteps <= warmupSteps)
        {
            return 1.0;
        }
        // progress first, then cos(pi * progress): Hugging Face's order of operations (and the golden traces').
        double progress = (double)(Math.Min(step, totalSteps) - warmupSteps) / (totalSteps - warmupSteps);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return minRatio + (1 - minRatio) * cosine;
    }

    /// <summary>
    /// Linear warmup, then linear decay to <paramref name="minRatio"/>: <c>(s+1)/W</c> for <c>s &lt; W</c>, else
    /// <c>minRatio + (1 - minRatio) * (T - s) / (T - W)</c> (Hugging Face's linear schedule when minRatio is 0).
    /// </summary>
    /// <param name="step">0-based step.</param>
    /// <param name="warmupSteps">Steps of warmup, W.</param>
    /// <param name="totalSteps">Total steps, T.</param>
    /// <param name="minRatio">The multiplier reached at the end, between 0 and 1.</param>
    public static double WarmupLinear(long step, long warmupSteps, long totalSteps, double minRatio = 0.0)
    {
        if (step < warmupSteps)
        {
            return LinearWarmup(step, warmupSteps);
        }
        if (totalSteps <= warmupSteps)
        {
            return 1.0;
        }
        long s = Math.Min(step, totalSteps);
        double linear = (double)(totalSteps - s) / (totalSteps - warmupSteps);
        return minRatio + (1 - minRatio) * linear;
    }

    /// <summary>Step decay (PyTorch's StepLR in closed form): <c>gamma ^ floor(step / stepSize)</c>.</summary>
    /// <param name="step">0-based step.</param>
    /// <param name="stepSize">Steps between decays.</param>
    /// <param name="gamma">Factor applied at each decay.</param>
    public static double StepDecay(long step, long stepSize, double gamma) => Math.Pow(gamma, step / stepSize);

    /// <summary>Cosine interpolation from <paramref name="start"/> (pct 0) to <paramref name="end"/> (pct 1), as PyTorch's OneCycleLR.</summary>
    /// <param name="start">Value at pct 0.</param>
    /// <param name="end">Value at pct 1.</param>
    /// <param name="pct">Progress through the phase.</param>
    public static double CosineAnneal(double start, double end, double pct)
    {
        double cosOut = Math.Cos(Math.PI * pct) + 1;
        return end + (start - end) / 2.0 * cosOut;
    }

    /// <summary>Linear interpolation from <paramref name="start"/> (pct 0) to <paramref name="end"/> (pct 1), as PyTorch's OneCycleLR.</summary>
    /// <param name="start">Value at pct 0.</param>
    /// <param name="end">Value at pct 1.</param>
    /// <param name="pct">Progress through the phase.</param>
    public static double LinearAnneal(double start, double end, double pct) => (end - start) * pct + start;

    /// <summary>
    /// PyTorch's OneCycleLR at one step: the learning rate rises from <c>maxLearningRate / divFactor</c> to
    /// <paramref name="maxLearningRate"/> over the first <paramref name="pctStart"/> of the steps, then falls to
    /// <c>initial / finalDivFactor</c>; momentum moves inversely between <paramref name="maxMomentum"/> and
    /// <paramref name="baseMomentum"/>. With <paramref name="threePhase"/>, the rate returns to the initial value
    /// symmetrically before the final annihilation phase.
    /// </summary>
    /// <param name="step">0-based step (values past <paramref name="totalSteps"/> extrapolate the last phase, as PyTorch).</param>
    /// <param name="totalSteps">Total steps of the cycle.</param>
    /// <param name="maxLearningRate">Peak learning rate.</param>
    /// <param name="pctStart">Fraction of the cycle spent increasing the learning rate.</param>
    /// <param name="anneal">Cosine or linear interpolation.</param>
    /// <param name="divFactor">Initial learning rate = max / divFactor.</param>
    /// <param name="finalDivFactor">Minimum learning rate = initial / finalDivFactor.</param>
    /// <param name="baseMomentum">Momentum at the peak learning rate.</param>
    /// <param name="maxMomentum">Momentum at the start and end.</param>
    /// <param name="threePhase">Use the three-phase variant.</param>
    /// <returns>The learning rate and momentum for the step.</returns>
    public static (double LearningRate, double Momentum) OneCycle(long step, long totalSteps, double maxLearningRate,
        double pctStart = 0.3, AnnealStrategy anneal = AnnealStrategy.Cosine, double divFactor = 25.0,
        double finalDivFactor = 1e4, double baseMomentum = 0.85, double maxMomentum = 0.95, bool threePhase = false)
    {
        double initialLr = maxLearningRate / divFactor;
        double minLr = initialLr / finalDivFactor;
        Span<(double endStep, double startLr, double endLr, double startMomentum, double endMomentum)> phases = threePhase
            ? stackalloc[]
            {
                ((double)(pctStart * totalSteps) - 1, initialLr, maxLearningRate, maxMomentum, baseMomentum),
                ((double)(2 * pctStart * totalSteps) - 2, maxLearningRate, initialLr, baseMomentum, maxMomentum),
                (totalSteps - 1, initialLr, minLr, maxMomentum, maxMomentum),
            }
            : stackalloc[]
            {
                ((double)(pctStart * totalSteps) - 1, initialLr, maxLearningRate, maxMomentum, baseMomentum),
                (totalSteps - 1, maxLearningRate, minLr, baseMomentum, maxMomentum),
            };
        double startStep = 0.0;
        for (int i = 0; i < phases.Length; i++)
        {
            var phase = phases[i];
            if (step <= phase.endStep || i == phases.Length - 1)
            {
                double pct = (step - startStep) / (phase.endStep - startStep);
                return anneal == AnnealStrategy.Cosine
                    ? (CosineAnneal(phase.startLr, phase.endLr, pct), CosineAnneal(phase.startMomentum, phase.endMomentum, pct))
                    : (LinearAnneal(phase.startLr, phase.endLr, pct), LinearAnneal(phase.startMomentum, phase.endMomentum, pct));
            }
            startStep = phase.endStep;
        }
        throw new InvalidOperationException("Unreachable: the last phase always matches.");
    }
}

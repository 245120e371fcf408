using System;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// A numeric hyperparameter's range in a search space: sampled uniformly, or log-uniformly (uniform in the
/// logarithm, the usual choice for learning rates and weight decay). <c>Min == Max</c> fixes the value.
/// </summary>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
/// <param name="LogScale">Sample uniformly in log space (requires <paramref name="Min"/> &gt; 0).</param>
public sealed record SearchRange(double Min, double Max, bool LogScale = false)
{
    /// <summary>A log-uniform range.</summary>
    public static SearchRange LogUniform(double min, double max) => new(min, max, LogScale: true);

    /// <summary>A uniform range.</summary>
    public static SearchRange Uniform(double min, double max) => new(min, max, LogScale: false);

    /// <summary>A fixed value (the range holds one point).</summary>
    public static SearchRange Fixed(double value) => new(value, value);

    /// <summary>Draws a value; always consumes exactly one number from <paramref name="random"/> so sampling stays aligned.</summary>
    public double Sample(Random random)
    {
        double u = random.NextDouble();
        if (Min == Max)
        {
            return Min;
        }
        return LogScale
            ? Math.Exp(Math.Log(Min) + u * (Math.Log(Max) - Math.Log(Min)))
            : Min + u * (Max - Min);
    }

    /// <summary>Whether <paramref name="value"/> lies in the range (with a relative tolerance for log-space round-off).</summary>
    public bool Contains(double value) => value >= Min * (1 - 1e-12) && value <= Max * (1 + 1e-12);

    /// <summary>Throws, naming <paramref name="option"/>, unless the range is finite and ordered and lies within [lower, upper].</summary>
    internal void Validate(string option, double lower, double upper, bool upperExclusive = false)
    {
        if (!double.IsFinite(Min) || !double.IsFinite(Max))
        {
            throw new ArgumentOutOfRangeException(option, $"{option} must be finite (was [{Min}, {Max}]).");
        }
        if (Min > Max)
        {
            throw new ArgumentOutOfRangeException(option, $"{option}.Min must be <= {option}.Max (was [{Min}, {Max}]).");
        }
        if (LogScale && Min <= 0)
        {
            throw new ArgumentOutOfRangeException(option, $"{option} is log-scaled, so Min must be > 0 (was {Min}); use ZeroWeightDecayProbability to try 0.");
        }
        if (Min < lower || Max > upper || (upperExclusive && Max >= upper))
        {
            string right = upperExclusive ? ")" : "]";
            throw new ArgumentOutOfRangeException(option, $"{option} must lie in [{lower}, {upper}{right} (was [{Min}, {Max}]).");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Min == Max ? $"{Min:G3}" : $"{(LogScale ? "log-uniform" : "uniform")}[{Min:G3}, {Max:G3}]";
}

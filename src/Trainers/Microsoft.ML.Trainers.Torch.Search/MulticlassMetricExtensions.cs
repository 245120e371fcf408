using System;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>Direction and extraction of a <see cref="MulticlassMetric"/>.</summary>
public static class MulticlassMetricExtensions
{
    /// <summary>True when smaller values are better (log-loss).</summary>
    public static bool IsLowerBetter(this MulticlassMetric metric) => metric == MulticlassMetric.LogLoss;

    /// <summary>The metric's value in ML.NET's evaluation result.</summary>
    public static double ValueOf(this MulticlassMetric metric, MulticlassClassificationMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return metric switch
        {
            MulticlassMetric.MicroAccuracy => metrics.MicroAccuracy,
            MulticlassMetric.MacroAccuracy => metrics.MacroAccuracy,
            MulticlassMetric.LogLoss => metrics.LogLoss,
            MulticlassMetric.LogLossReduction => metrics.LogLossReduction,
            MulticlassMetric.TopKAccuracy => metrics.TopKAccuracy,
            _ => throw new ArgumentOutOfRangeException(nameof(metric), $"Unknown metric {metric}."),
        };
    }

    /// <summary>
    /// Compares two values of the metric so that the better one sorts first; NaN (a diverged or failed trial)
    /// sorts after every number.
    /// </summary>
    public static int CompareBetterFirst(this MulticlassMetric metric, double a, double b)
    {
        bool nanA = double.IsNaN(a), nanB = double.IsNaN(b);
        if (nanA || nanB)
        {
            return nanA.CompareTo(nanB);
        }
        return metric.IsLowerBetter() ? a.CompareTo(b) : b.CompareTo(a);
    }
}

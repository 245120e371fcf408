using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch.Search.Charts;

/// <summary>
/// The PNG part of an experiment's report (<see cref="ExperimentReport"/>): validation learning curves and the
/// learning-rate × weight-decay heatmap, rendered headless with ScottPlot.
/// </summary>
public static class ExperimentCharts
{
    /// <summary>File name of the learning-curves chart.</summary>
    public const string LearningCurvesFileName = "learning-curves.png";

    /// <summary>File name of the learning-rate × weight-decay heatmap.</summary>
    public const string HeatmapFileName = "lr-wd-heatmap.png";

    /// <summary>Writes both charts for <paramref name="leaderboard"/> into <paramref name="folder"/> (created if needed); returns the files written.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<TrialResult> leaderboard, string folder)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        string curves = Path.Combine(folder, LearningCurvesFileName);
        string heatmap = Path.Combine(folder, HeatmapFileName);
        LearningCurvesChart.SavePng(curves, leaderboard);
        CreateHeatmap(leaderboard).SavePng(heatmap, 900, 650);
        return new[] { curves, heatmap };
    }

    /// <summary>
    /// The learning-rate × weight-decay heatmap of the first rung, where every configuration trained for the same
    /// epochs and so compares fairly: log10 bins of the sampled learning rates (columns) and weight decays (rows, with
    /// a row for 0), each cell showing the best metric in it and the initial of that trial's optimizer
    /// (S = SGD, W = AdamW, A = Adam-L2, L = Lion). Empty cells are grey.
    /// </summary>
    public static HeatmapChart CreateHeatmap(IReadOnlyList<TrialResult> leaderboard, int bins = 6)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        TrialResult[] trials = leaderboard.Where(t => t.Rung == 0 && t.Status == TrialStatus.Completed && !double.IsNaN(t.FinalMetric)).ToArray();
        MulticlassMetric metric = leaderboard.Count > 0 ? leaderboard[0].Metric : MulticlassMetric.MicroAccuracy;
        double[] lrLogs = trials.Select(t => Math.Log10(t.Configuration.LearningRate)).ToArray();
        double[] wdLogs = trials.Where(t => t.Configuration.WeightDecay > 0).Select(t => Math.Log10(t.Configuration.WeightDecay)).ToArray();
        (double lrLo, double lrStep, int lrBins) = Bins(lrLogs, bins);
        (double wdLo, double wdStep, int wdBins) = Bins(wdLogs, bins);
        bool hasZero = trials.Any(t => t.Configuration.WeightDecay == 0);
        bool empty = lrBins == 0;
        lrBins = Math.Max(lrBins, 1);
        int rowOffset = hasZero ? 1 : 0;
        int rows = Math.Max(1, wdBins + rowOffset);
        var values = new double[rows, lrBins];
        var text = new string?[rows, lrBins];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < lrBins; c++)
            {
                values[r, c] = double.NaN;
            }
        }
        foreach (TrialResult t in trials)
        {
            int c = Index(Math.Log10(t.Configuration.LearningRate), lrLo, lrStep, lrBins);
            int r = t.Configuration.WeightDecay == 0 ? 0 : rowOffset + Index(Math.Log10(t.Configuration.WeightDecay), wdLo, wdStep, wdBins);
            if (double.IsNaN(values[r, c]) || metric.CompareBetterFirst(t.FinalMetric, values[r, c]) < 0)
            {
                values[r, c] = t.FinalMetric;
                text[r, c] = string.Format(CultureInfo.InvariantCulture, "{0:F3} {1}", t.FinalMetric, Initial(t.Configuration.OptimizerName));
            }
        }
        var columnLabels = Enumerable.Range(0, lrBins).Select(i => empty ? "-" : BinLabel(lrLo, lrStep, i)).ToList();
        var rowLabels = new List<string>();
        if (hasZero)
        {
            rowLabels.Add("0");
        }
        rowLabels.AddRange(Enumerable.Range(0, rows - rowOffset).Select(i => wdBins == 0 ? "-" : BinLabel(wdLo, wdStep, i)));
        return new HeatmapChart(values, columnLabels, rowLabels)
        {
            Title = $"Best {metric} at rung 0 by learning rate × weight decay",
            XLabel = "learning rate (log10 bin centre)",
            YLabel = "weight decay (log10 bin centre)",
            ValueLabel = metric.ToString(),
            CellText = text,
        };
    }

    // The default candidates' letters as before (AdamW and AdamL2 share a first letter); others show their first letter.
    private static string Initial(string optimizer) => optimizer switch
    {
        "AdamW" => "W",
        "AdamL2" => "A",
        _ => optimizer[..1],
    };

    /// <summary>Equal-width bins over the values' range, at most <paramref name="max"/> and about one per half decade.</summary>
    private static (double Low, double Step, int Count) Bins(double[] logs, int max)
    {
        if (logs.Length == 0)
        {
            return (0, 1, 0);
        }
        double lo = logs.Min(), hi = logs.Max();
        int count = Math.Clamp((int)Math.Ceiling((hi - lo) / 0.5), 1, max);
        double step = hi > lo ? (hi - lo) / count : 1;
        return (lo, step, count);
    }

    private static int Index(double value, double low, double step, int count) => Math.Clamp((int)((value - low) / step), 0, count - 1);

    private static string BinLabel(double low, double step, int i)
        => Math.Pow(10, low + (i + 0.5) * step).ToString("G2", CultureInfo.InvariantCulture);
}

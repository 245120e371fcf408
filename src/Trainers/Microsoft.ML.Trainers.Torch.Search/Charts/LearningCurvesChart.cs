using System;
using System.Collections.Generic;
using System.Linq;
using ScottPlot;

namespace Microsoft.ML.Trainers.Torch.Search.Charts;

/// <summary>Validation metric against epoch, one line per trial, coloured by optimizer, rendered headless with ScottPlot.</summary>
public static class LearningCurvesChart
{
    // The default candidates keep fixed colours across reports; other optimizers take the next free one.
    private static readonly IReadOnlyDictionary<string, Color> Palette = new Dictionary<string, Color>
    {
        ["SgdMomentum"] = Colors.DodgerBlue,
        ["AdamW"] = Colors.OrangeRed,
        ["AdamL2"] = Colors.ForestGreen,
        ["Lion"] = Colors.DarkViolet,
    };

    private static readonly Color[] OtherColors = { Colors.Teal, Colors.Magenta, Colors.Olive, Colors.Gray, Colors.Black };

    /// <summary>The plot: thin lines for each trial, thicker for trials of later rungs, markers at each epoch.</summary>
    public static Plot CreatePlot(IReadOnlyList<TrialResult> trials, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var plot = new Plot();
        var labelled = new HashSet<string>();
        var others = new Dictionary<string, Color>();
        Color ColorOf(string name) => Palette.TryGetValue(name, out Color known) ? known
            : others.TryGetValue(name, out Color other) ? other
            : others[name] = OtherColors[others.Count % OtherColors.Length];
        foreach (TrialResult trial in trials.OrderBy(t => t.TrialId))
        {
            if (trial.MetricPerEpoch.Count == 0)
            {
                continue;
            }
            double[] epochs = Enumerable.Range(1, trial.MetricPerEpoch.Count).Select(e => (double)e).ToArray();
            // Diverged epochs (NaN) would break the line; they are left out.
            var points = epochs.Zip(trial.MetricPerEpoch).Where(p => double.IsFinite(p.Second)).ToArray();
            if (points.Length == 0)
            {
                continue;
            }
            var line = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray(), ColorOf(trial.Configuration.OptimizerName));
            line.LineWidth = 1 + trial.Rung;
            line.MarkerSize = 3 + trial.Rung;
            if (labelled.Add(trial.Configuration.OptimizerName))
            {
                line.LegendText = trial.Configuration.OptimizerName;
            }
        }
        string metric = trials.Count > 0 ? trials[0].Metric.ToString() : "metric";
        plot.Title(title ?? $"Validation {metric} per epoch (line width = rung)");
        plot.XLabel("epoch");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.YLabel(metric);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>Renders the chart to a PNG file.</summary>
    public static void SavePng(string path, IReadOnlyList<TrialResult> trials, int width = 900, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(path);
        CreatePlot(trials).SavePng(path, width, height);
    }
}

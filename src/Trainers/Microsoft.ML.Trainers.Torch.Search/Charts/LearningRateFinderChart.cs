using System;
using System.Globalization;
using System.Linq;
using ScottPlot;

namespace Microsoft.ML.Trainers.Torch.Search.Charts;

/// <summary>
/// A learning-rate finder's curve (<see cref="LearningRateFinderResult"/>) as fastai's <c>recorder.plot</c> draws it: loss
/// against learning rate on a log axis, the raw losses faint, the smoothed ones bold, the suggested rate marked; rendered
/// headless with ScottPlot.
/// </summary>
public static class LearningRateFinderChart
{
    /// <summary>The plot; the x axis holds log10 of the rate, labelled with the rates themselves.</summary>
    public static Plot CreatePlot(LearningRateFinderResult result, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Points.Count == 0)
        {
            throw new ArgumentException("The learning-rate finder result has no points to plot.", nameof(result));
        }
        var plot = new Plot();
        // A diverged last step (infinite or NaN loss) would stretch or break the axis; it is left out.
        var finite = result.Points.Where(p => double.IsFinite(p.Loss) && double.IsFinite(p.SmoothedLoss)).ToArray();
        double[] x = finite.Select(p => Math.Log10(p.LearningRate)).ToArray();
        var raw = plot.Add.Scatter(x, finite.Select(p => p.Loss).ToArray(), Colors.Gray.WithAlpha(0.5));
        raw.MarkerSize = 0;
        raw.LegendText = "loss";
        var smoothed = plot.Add.Scatter(x, finite.Select(p => p.SmoothedLoss).ToArray(), Colors.DodgerBlue);
        smoothed.MarkerSize = 0;
        smoothed.LineWidth = 2;
        smoothed.LegendText = "smoothed loss";

        double suggested = result.SuggestedLearningRate;
        var line = plot.Add.VerticalLine(Math.Log10(suggested), 1.5f, Colors.OrangeRed);
        line.LinePattern = LinePattern.Dashed;
        line.LegendText = string.Create(CultureInfo.InvariantCulture, $"suggested {suggested:G3}");
        LearningRateFinderPoint? at = finite.FirstOrDefault(p => p.LearningRate == suggested);
        if (at != null)
        {
            var marker = plot.Add.Marker(Math.Log10(suggested), at.SmoothedLoss, MarkerShape.FilledCircle, 9, Colors.OrangeRed);
            marker.LegendText = "";
        }

        // ScottPlot 5 draws log axes as log10 data with decade ticks labelled by their value.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => v >= 0
                ? Math.Pow(10, Math.Round(v)).ToString("G", CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"1e{Math.Round(v):0}"),
        };
        // Fit the smoothed curve, as fastai does: one raw loss spike near divergence would flatten everything else.
        double low = finite.Min(p => Math.Min(p.Loss, p.SmoothedLoss)), high = finite.Max(p => p.SmoothedLoss);
        double margin = Math.Max(high - low, Math.Abs(high) * 0.01 + 1e-12) * 0.1;
        plot.Axes.SetLimitsY(low - margin, high + margin);
        plot.Title(title ?? "Learning-rate finder");
        plot.XLabel("learning rate (log scale)");
        plot.YLabel("training loss");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>Renders the chart to a PNG file.</summary>
    public static void SavePng(string path, LearningRateFinderResult result, int width = 900, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(path);
        CreatePlot(result).SavePng(path, width, height);
    }
}

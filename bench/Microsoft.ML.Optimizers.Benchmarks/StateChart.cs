using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;

namespace Microsoft.ML.Optimizers.Benchmarks;

/// <summary>
/// A bar chart of the optimizer-state bytes per parameter measured by <see cref="OptimizerTable"/> (one bar per optimizer and
/// model shape), labelled with the value.
/// </summary>
internal static class StateChart
{
    public static void Write(IReadOnlyList<string[]> rows, string path)
    {
        var plot = new Plot();
        string[] models = rows.Select(r => r[0]).Distinct().ToArray();
        string[] optimizers = rows.Select(r => r[1]).Distinct().ToArray();
        double width = 0.8 / models.Length;
        for (int m = 0; m < models.Length; m++)
        {
            var bars = new List<Bar>();
            for (int o = 0; o < optimizers.Length; o++)
            {
                string[]? row = rows.FirstOrDefault(r => r[0] == models[m] && r[1] == optimizers[o]);
                if (row is null)
                {
                    continue;
                }
                double bytes = double.Parse(row[4], CultureInfo.InvariantCulture);
                bars.Add(new Bar
                {
                    Position = o + (m - (models.Length - 1) / 2.0) * width,
                    Value = bytes,
                    Size = width * 0.95,
                    FillColor = Colors.Category10[m % 10],
                    Label = bytes.ToString(bytes < 0.1 ? "F3" : "F1", CultureInfo.InvariantCulture),
                });
            }
            var plottable = plot.Add.Bars(bars);
            plottable.ValueLabelStyle.FontSize = 10;
            plottable.LegendText = models[m];
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, optimizers.Length).Select(i => (double)i).ToArray(), optimizers);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.Axes.Margins(bottom: 0);
        plot.Title("Optimizer state per parameter (float32 parameters, measured from the live state buffers)");
        plot.YLabel("bytes per parameter");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1100, 600);
    }
}

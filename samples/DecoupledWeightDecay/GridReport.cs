using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Search;
using Microsoft.ML.Trainers.Torch.Search.Charts;

/// <summary>
/// Turns the grid's runs into the paper's figure and its claim in numbers: heatmaps of test error and test log-loss over
/// learning rate × weight decay (Adam-L2 by its L2 coefficient, AdamW by the paper's lambda = lr * wd and by PyTorch's
/// weight_decay), and for each view two readings per learning rate of where decay works, with how fast each moves (the slope
/// of its log10 against log10(learning rate): 0 when it stays put, -1 when it falls tenfold per decade): the best decay,
/// when it clearly beats both ends of the grid, and the largest decay still as good as the best within seed noise.
/// </summary>
internal static class GridReport
{
    private sealed record View(string Name, string FileName, string DecayLabel, Func<GridRun, bool> Includes, Func<GridRun, double> Decay);

    private sealed record Metric(string Name, string FileName, string Format, Func<GridRun, double> Value);

    private static readonly View[] Views =
    {
        new("Adam + L2", "adam-l2", "L2 coefficient", r => r.Optimizer == GridRun.AdamL2, r => r.GridDecay),
        new("AdamW", "adamw", "decoupled decay per step λ = lr·wd", r => r.Optimizer == GridRun.AdamW, r => r.GridDecay),
        new("AdamW", "adamw-pytorch-wd", "PyTorch weight_decay = λ / lr", r => r.Optimizer == GridRun.AdamW, r => r.PyTorchDecay),
    };

    private static readonly Metric[] Metrics =
    {
        new("test error (%)", "test-error", "F1", r => 100 * r.TestError),
        new("test log-loss", "test-log-loss", "F3", r => r.TestLogLoss),
    };

    /// <summary>Writes &lt;metric&gt;.png (one panel per view) and summary.txt to <paramref name="outDir"/>, and prints the summary.</summary>
    public static void Write(IReadOnlyList<GridRun> runs, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var summary = new StringWriter(CultureInfo.InvariantCulture);
        foreach (Metric metric in Metrics)
        {
            var charts = new List<HeatmapChart>();
            summary.WriteLine($"Best weight decay per learning rate by {metric.Name} (red boxes in {metric.FileName}.png):");
            var tables = Views.Where(v => runs.Any(v.Includes)).Select(v => (View: v, Table: Tabulate(runs.Where(v.Includes).ToList(), v.Decay, metric.Value))).ToList();
            double lo = tables.Min(t => t.Table.Min), hi = tables.Max(t => t.Table.Max);
            // Seed noise of this metric: how far one seed lands from its cell's mean. A column's best cell is an optimum only
            // when it beats both ends of the column by a margin of a few times that; otherwise it is left out of the slope.
            double noise = SeedNoise(runs, metric.Value);
            foreach (var (view, table) in tables)
            {
                charts.Add(new HeatmapChart(table.Values, table.LearningRates.Select(Label).ToArray(), table.Decays.Select(Label).ToArray())
                {
                    Title = $"{view.Name}: {metric.Name}", XLabel = "learning rate", YLabel = view.DecayLabel, ValueLabel = metric.Name,
                    ValueFormat = metric.Format, MarkBestPerColumn = true, LowerIsBetter = true,
                    ColorRange = metric.FileName == "test-error" ? (lo, Math.Min(hi, lo + 15)) : (lo, Math.Min(hi, 2 * lo)),
                });
                Summarize(summary, $"{view.Name} by {view.DecayLabel}", table, MarginInSeedNoise * noise);
            }
            HeatmapChart.SaveSideBySide(Path.Combine(outDir, metric.FileName + ".png"), charts, 620, 560);
            summary.WriteLine();
        }
        if (runs.Select(r => r.Seed).Distinct().Count() > 1)
        {
            summary.WriteLine($"Seed noise: one seed's test error is typically (median) {SeedNoise(runs, r => 100 * r.TestError):F2} points from its cell's mean; log-loss {SeedNoise(runs, r => r.TestLogLoss):F4}.");
            summary.WriteLine($"A learning rate has a clear optimum when its best decay beats both ends of the grid by {MarginInSeedNoise} times that.");
        }
        summary.WriteLine($"{runs.Count} runs, {runs.Sum(r => r.Seconds) / 60:F1} min of training.");
        File.WriteAllText(Path.Combine(outDir, "summary.txt"), summary.ToString());
        Console.Write(summary.ToString());
    }

    /// <summary>How many times the seed noise the best cell must beat both ends of its column by to count as an optimum.</summary>
    private const double MarginInSeedNoise = 2;

    /// <summary>
    /// Median absolute distance of one seed's value from its cell's mean over seeds (the median, so that the few cells
    /// where training collapses do not set it); 0 with a single seed.
    /// </summary>
    private static double SeedNoise(IReadOnlyList<GridRun> runs, Func<GridRun, double> value)
    {
        double[] deviations = runs.GroupBy(r => (r.Optimizer, r.LearningRate, r.GridDecay))
            .SelectMany(cell => cell.Select(r => Math.Abs(value(r) - cell.Average(value)))).OrderBy(d => d).ToArray();
        return deviations[deviations.Length / 2];
    }

    private static void Summarize(TextWriter writer, string name, Table table, double margin)
    {
        var optima = new List<(double LogLr, double LogDecay)>();
        var edges = new List<(double LogLr, double LogDecay)>();
        for (int c = 0; c < table.LearningRates.Length; c++)
        {
            double logLr = Math.Log10(table.LearningRates[c]);
            (int top, bool atGridTop) = LargestDecayWithin(table, c, margin);
            if (!atGridTop)
            {
                edges.Add((logLr, Math.Log10(table.Decays[top])));
            }
            writer.WriteLine($"  {name,-48} lr={table.LearningRates[c],-8:G3} largest decay within {margin:G2} of the best: {(atGridTop ? "≥ " : "")}{table.Decays[top]:G2}");
            (string optimum, double? logBest, int row) = ClearOptimum(table, c, margin);
            if (logBest is double y)
            {
                optima.Add((logLr, y));
            }
            writer.WriteLine($"  {name,-48} lr={table.LearningRates[c],-8:G3} best decay {optimum} ({table.Values[row, c]:G4} at {table.Decays[row]:G2})");
        }
        writer.WriteLine(optima.Count >= 2
            ? $"  {name,-48} best decay ∝ lr^{Slope(optima):+0.00;-0.00} (fitted on the {optima.Count} of {table.LearningRates.Length} learning rates with a clear optimum inside the grid)"
            : $"  {name,-48} fewer than two learning rates have a clear optimum inside the grid: no slope");
        writer.WriteLine(edges.Count >= 2
            ? $"  {name,-48} largest decay within the margin ∝ lr^{Slope(edges):+0.00;-0.00} (fitted on the {edges.Count} learning rates where it is inside the grid)"
            : $"  {name,-48} the largest decay within the margin is inside the grid for fewer than two learning rates: no slope");
    }

    /// <summary>
    /// The edge of the good basin: the row of the largest decay still within <paramref name="margin"/> of the column's best,
    /// and whether it is the largest decay the column has (the edge may then lie beyond the grid). Unlike the optimum, it
    /// reads columns where every small decay is as good as the best.
    /// </summary>
    private static (int Row, bool AtGridTop) LargestDecayWithin(Table table, int column, double margin)
    {
        double best = ColumnValues(table, column).Min();
        int top = -1;
        for (int r = 0; r < table.Decays.Length; r++)
        {
            if (table.Values[r, column] <= best + margin)
            {
                top = r;
            }
        }
        return (top, top == table.Decays.Length - 1 || double.IsNaN(table.Values[top + 1, column]));
    }

    /// <summary>
    /// The column's best decay when it is a clear optimum: inside the grid and better than both ends of the column by
    /// <paramref name="margin"/>; otherwise a description of why not, and null.
    /// </summary>
    private static (string Description, double? LogDecay, int Row) ClearOptimum(Table table, int column, double margin)
    {
        (double? logBest, int row) = BestLogDecay(table, column);
        if (logBest is null)
        {
            bool lowerEdge = row == 0 || double.IsNaN(table.Values[row - 1, column]);
            return ($"{(lowerEdge ? "≤" : "≥")} {table.Decays[row]:G2} (grid edge)", null, row);
        }
        double[] values = ColumnValues(table, column);
        double best = table.Values[row, column];
        if (best + margin > Math.Min(values[0], values[^1]))
        {
            // A flat end: the smallest (or largest) decay is as good within seed noise, so no decay stands out.
            return ($"none clear (within {margin:G2} of the {(best + margin > values[0] ? "smallest" : "largest")} decay)", null, row);
        }
        return ($"{Math.Pow(10, logBest.Value):G2}", logBest, row);
    }

    private static double[] ColumnValues(Table table, int column)
        => Enumerable.Range(0, table.Decays.Length).Select(r => table.Values[r, column]).Where(v => !double.IsNaN(v)).ToArray();

    /// <summary>
    /// The best decay of one learning rate's column, refined between grid points by the parabola through the best cell and
    /// its two neighbours in log10(decay); null when the best cell is on the grid's edge (the optimum may lie outside).
    /// </summary>
    private static (double? LogDecay, int Row) BestLogDecay(Table table, int column)
    {
        int n = table.Decays.Length, best = -1;
        for (int r = 0; r < n; r++)
        {
            if (!double.IsNaN(table.Values[r, column]) && (best < 0 || table.Values[r, column] < table.Values[best, column]))
            {
                best = r;
            }
        }
        if (best <= 0 || best >= n - 1 || double.IsNaN(table.Values[best - 1, column]) || double.IsNaN(table.Values[best + 1, column]))
        {
            return (null, best);
        }
        double x0 = Math.Log10(table.Decays[best - 1]), x1 = Math.Log10(table.Decays[best]), x2 = Math.Log10(table.Decays[best + 1]);
        double y0 = table.Values[best - 1, column], y1 = table.Values[best, column], y2 = table.Values[best + 1, column];
        // Vertex of the parabola through three points; it lies between x0 and x2 because y1 is the smallest.
        double numerator = (x1 - x0) * (x1 - x0) * (y1 - y2) - (x1 - x2) * (x1 - x2) * (y1 - y0);
        double denominator = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0);
        double vertex = denominator == 0 ? x1 : x1 - 0.5 * numerator / denominator;
        return (Math.Clamp(vertex, x0, x2), best);
    }

    private static double Slope(List<(double X, double Y)> points)
    {
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        return sxx == 0 ? double.NaN : points.Sum(p => (p.X - mx) * (p.Y - my)) / sxx;
    }

    private sealed record Table(double[] LearningRates, double[] Decays, double[,] Values)
    {
        public double Min => Values.Cast<double>().Where(v => !double.IsNaN(v)).Min();

        public double Max => Values.Cast<double>().Where(v => !double.IsNaN(v)).Max();
    }

    /// <summary>Mean over seeds per (decay, learning rate) cell; NaN where the grid has no run.</summary>
    private static Table Tabulate(IReadOnlyList<GridRun> runs, Func<GridRun, double> decay, Func<GridRun, double> value)
    {
        // Decays computed as lambda / lr carry rounding noise, so cells are keyed on log10 rounded to 1e-6.
        static double Key(double v) => Math.Round(Math.Log10(v), 6);
        double[] lrs = runs.Select(r => r.LearningRate).Distinct().OrderBy(v => v).ToArray();
        double[] decays = runs.GroupBy(r => Key(decay(r))).Select(g => decay(g.First())).OrderBy(v => v).ToArray();
        var values = new double[decays.Length, lrs.Length];
        for (int r = 0; r < decays.Length; r++)
        {
            for (int c = 0; c < lrs.Length; c++)
            {
                var cell = runs.Where(x => Key(decay(x)) == Key(decays[r]) && x.LearningRate == lrs[c]).ToList();
                values[r, c] = cell.Count == 0 ? double.NaN : cell.Average(value);
            }
        }
        return new Table(lrs, decays, values);
    }

    private static string Label(double v) => v.ToString("G2", CultureInfo.InvariantCulture);
}

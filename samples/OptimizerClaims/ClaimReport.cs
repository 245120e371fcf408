using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;

/// <summary>
/// Turns each claim's runs into its figure and its reading in numbers (summary.txt). Every figure is the mean over seeds;
/// the summaries give the seed noise beside it.
/// </summary>
internal static class ClaimReport
{
    /// <summary>How far below an optimizer's best accuracy a learning rate still counts as good (the claim's "1 point").</summary>
    private const double BandPoints = 1.0;

    private static readonly Color[] Palette =
    {
        Colors.DodgerBlue, Colors.OrangeRed, Colors.ForestGreen, Colors.DarkViolet, Colors.DarkGoldenRod, Colors.Gray,
    };

    /// <summary>
    /// Accuracy against learning rate, and per optimizer the width (in decades) of the contiguous band of learning rates
    /// whose mean accuracy is within <see cref="BandPoints"/> point of that optimizer's best.
    /// </summary>
    public static string LearningRateSweep(IReadOnlyList<ClaimRun> runs, string outDir)
    {
        var summary = new StringWriter(CultureInfo.InvariantCulture);
        var plot = NewPlot("Test accuracy against learning rate", "learning rate (log scale)", "test accuracy (%)");
        LogTicks(plot.Axes.Bottom, v => Math.Pow(10, v));
        summary.WriteLine($"| optimizer | best learning rate | best test accuracy | band within {BandPoints:F0} point (learning rates) | band width (decades) |");
        summary.WriteLine("|---|---|---|---|---|");
        int colour = 0;
        foreach (var (optimizer, points) in MeansBy(runs, r => r.LearningRate))
        {
            AddLine(plot, points.Select(p => Math.Log10(p.Key)), points.Select(p => 100 * p.Accuracy), optimizer, Palette[colour++ % Palette.Length]);
            int best = IndexOfMax(points.Select(p => p.Accuracy).ToArray());
            int lo = best, hi = best;
            while (lo > 0 && points[lo - 1].Accuracy >= points[best].Accuracy - BandPoints / 100)
            {
                lo--;
            }
            while (hi < points.Count - 1 && points[hi + 1].Accuracy >= points[best].Accuracy - BandPoints / 100)
            {
                hi++;
            }
            summary.WriteLine($"| {Display(optimizer)} | {points[best].Key:G2} | {points[best].Accuracy:F4} | {points[lo].Key:G2} – {points[hi].Key:G2} | {Math.Log10(points[hi].Key / points[lo].Key):F1} |");
        }
        LimitAccuracyAxis(plot, runs);
        plot.ShowLegend(Alignment.LowerCenter);
        plot.SavePng(Path.Combine(outDir, "accuracy-vs-learning-rate.png"), 900, 560);
        return Finish(summary, runs, outDir);
    }

    /// <summary>Accuracy against batch size (learning rate scaled with it), one line per optimizer.</summary>
    public static string LargeBatch(IReadOnlyList<ClaimRun> runs, string outDir)
    {
        var summary = new StringWriter(CultureInfo.InvariantCulture);
        var plot = NewPlot($"Test accuracy against batch size (learning rate scaled {Scaling(runs)})", "batch size (log scale)", "test accuracy (%)");
        LogTicks(plot.Axes.Bottom, v => Math.Pow(2, v), log2: true);
        int[] batchSizes = runs.Select(r => r.BatchSize).Distinct().Order().ToArray();
        summary.WriteLine("| optimizer | " + string.Join(" | ", batchSizes.Select(b => $"batch {b}")) + " |");
        summary.WriteLine("|---|" + string.Concat(batchSizes.Select(_ => "---|")));
        int colour = 0;
        foreach (var (optimizer, points) in MeansBy(runs, r => r.BatchSize))
        {
            AddLine(plot, points.Select(p => Math.Log2(p.Key)), points.Select(p => 100 * p.Accuracy), optimizer, Palette[colour++ % Palette.Length]);
            var cells = batchSizes.Select(b => points.FirstOrDefault(p => p.Key == b) is { } p
                ? $"{p.Accuracy:F4} (lr {runs.First(r => r.Optimizer == optimizer && r.BatchSize == b).LearningRate:G3})" : "—");
            summary.WriteLine($"| {Display(optimizer)} | {string.Join(" | ", cells)} |");
        }
        LimitAccuracyAxis(plot, runs);
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(Path.Combine(outDir, "accuracy-vs-batch-size.png"), 900, 560);
        return Finish(summary, runs, outDir);
    }

    /// <summary>How the runs' learning rate grew with the batch, read from the first optimizer's two smallest batches.</summary>
    private static string Scaling(IReadOnlyList<ClaimRun> runs)
    {
        var sizes = runs.Where(r => r.Optimizer == runs[0].Optimizer).GroupBy(r => r.BatchSize).OrderBy(g => g.Key).Take(2).ToArray();
        if (sizes.Length < 2)
        {
            return "with the batch";
        }
        double batchRatio = (double)sizes[1].Key / sizes[0].Key, rateRatio = sizes[1].First().LearningRate / sizes[0].First().LearningRate;
        return Math.Abs(rateRatio - batchRatio) < 1e-9 * batchRatio ? "linearly"
            : Math.Abs(rateRatio - Math.Sqrt(batchRatio)) < 1e-9 * batchRatio ? "by the square root" : "with the batch";
    }

    /// <summary>Test accuracy and test loss per epoch, one line per optimizer, and the epochs each needs to get close to its end.</summary>
    public static string Curves(IReadOnlyList<ClaimRun> runs, string outDir)
    {
        var summary = new StringWriter(CultureInfo.InvariantCulture);
        var accuracy = NewPlot("Test accuracy per epoch", "epoch", "test accuracy (%)");
        var loss = NewPlot("Test loss per epoch", "epoch", "test cross-entropy");
        var curves = MeansBy(runs, r => r.Epoch);
        int[] epochs = runs.Select(r => r.Epoch).Distinct().Order().ToArray();
        summary.WriteLine("Test accuracy (test loss) by epoch, mean over seeds:");
        summary.WriteLine();
        summary.WriteLine("| optimizer | " + string.Join(" | ", epochs.Select(e => $"epoch {e}")) + " |");
        summary.WriteLine("|---|" + string.Concat(epochs.Select(_ => "---|")));
        int colour = 0;
        foreach (var (optimizer, points) in curves)
        {
            Color c = Palette[colour++ % Palette.Length];
            AddLine(accuracy, points.Select(p => p.Key), points.Select(p => 100 * p.Accuracy), optimizer, c);
            AddLine(loss, points.Select(p => p.Key), points.Select(p => p.LogLoss), optimizer, c);
            summary.WriteLine($"| {Display(optimizer)} | {string.Join(" | ", points.Select(p => $"{p.Accuracy:F4} ({p.LogLoss:F3})"))} |");
        }
        summary.WriteLine();
        foreach (var (optimizer, points) in curves)
        {
            double final = points[^1].Accuracy;
            int within = (int)points.First(p => p.Accuracy >= final - BandPoints / 100).Key;
            summary.WriteLine($"{Display(optimizer)}: final {final:F4}; first within {BandPoints:F0} point of it at epoch {within}; best test loss {points.Min(p => p.LogLoss):F4} at epoch {points.MinBy(p => p.LogLoss)!.Key}.");
        }
        accuracy.ShowLegend(Alignment.LowerRight);
        loss.ShowLegend(Alignment.UpperRight);
        var finite = runs.Where(r => !r.Diverged).Select(r => 100 * r.TestAccuracy).DefaultIfEmpty(100).ToArray();
        accuracy.Axes.SetLimitsY(Math.Max(0, finite.Min() - 1), finite.Max() + 1);
        accuracy.SavePng(Path.Combine(outDir, "test-accuracy-per-epoch.png"), 900, 560);
        loss.SavePng(Path.Combine(outDir, "test-loss-per-epoch.png"), 900, 560);
        return Finish(summary, runs, outDir);
    }

    private sealed record Point(double Key, double Accuracy, double LogLoss);

    /// <summary>
    /// Per optimizer (in the order first run), the seed-mean accuracy and log-loss per value of <paramref name="key"/>,
    /// sorted. A diverged run (NaN metrics: training stopped on a non-finite loss) counts as chance accuracy, what its NaN
    /// model would score on the balanced test set, and is left out of the mean loss.
    /// </summary>
    private static List<(string Optimizer, List<Point> Points)> MeansBy(IReadOnlyList<ClaimRun> runs, Func<ClaimRun, double> key)
        => runs.Select(r => r.Optimizer).Distinct()
            .Select(o => (o, runs.Where(r => r.Optimizer == o).GroupBy(key).OrderBy(g => g.Key)
                .Select(g => new Point(g.Key, g.Average(r => r.Diverged ? ChanceAccuracy : r.TestAccuracy),
                    g.Any(r => !r.Diverged) ? g.Where(r => !r.Diverged).Average(r => r.TestLogLoss) : double.NaN)).ToList()))
            .ToList();

    /// <summary>Accuracy of a constant guess on Fashion-MNIST's test set (1,000 images per class).</summary>
    private const double ChanceAccuracy = 0.1;

    /// <summary>
    /// Median distance of one seed's accuracy from its setting's mean (the median, so that the few diverged settings do
    /// not set it), in points; and the total training time.
    /// </summary>
    private static string Finish(StringWriter summary, IReadOnlyList<ClaimRun> runs, string outDir)
    {
        var final = runs.GroupBy(r => (r.Optimizer, r.LearningRate, r.BatchSize, r.Seed)).Select(g => g.MaxBy(r => r.Epoch)!).ToList();
        var deviations = final.GroupBy(r => (r.Optimizer, r.LearningRate, r.BatchSize)).Where(g => g.Count() > 1)
            .Where(g => g.All(r => !r.Diverged))
            .SelectMany(g => g.Select(r => Math.Abs(r.TestAccuracy - g.Average(x => x.TestAccuracy)))).Order().ToArray();
        summary.WriteLine();
        foreach (var diverged in final.Where(r => r.Diverged).GroupBy(r => r.Optimizer))
        {
            summary.WriteLine($"{Display(diverged.Key)}: {diverged.Count()} run(s) diverged (counted as chance accuracy {ChanceAccuracy:F2}): "
                + string.Join(", ", diverged.Select(r => $"lr {r.LearningRate:G3} batch {r.BatchSize} seed {r.Seed}")) + ".");
        }
        if (deviations.Length > 0)
        {
            summary.WriteLine($"Seed noise: one seed's test accuracy is typically (median) {100 * deviations[deviations.Length / 2]:F2} points from its setting's mean over {final.Select(r => r.Seed).Distinct().Count()} seeds.");
        }
        summary.WriteLine($"{final.Count} runs, {final.Sum(r => r.Seconds) / 60:F1} min of training.");
        string text = summary.ToString();
        File.WriteAllText(Path.Combine(outDir, "summary.txt"), text);
        return text;
    }

    /// <summary>The optimizer's name as the figures and tables print it, from its <c>--optimizer</c> flag name.</summary>
    private static string Display(string flag) => flag.ToLowerInvariant() switch
    {
        "sgdm" => "SGD-momentum",
        "adamw" => "AdamW",
        "adam" => "Adam",
        "lion" => "Lion",
        "lamb" => "LAMB",
        "lars" => "LARS",
        "adan" => "Adan",
        "adafactor" => "Adafactor",
        "schedulefree" => "Schedule-Free AdamW",
        "muon" => "Muon",
        "sophia" => "SophiaG",
        _ => flag,
    };

    /// <summary>One optimizer's line, with markers at the measured settings.</summary>
    private static void AddLine(Plot plot, IEnumerable<double> x, IEnumerable<double> y, string optimizer, Color colour)
    {
        var line = plot.Add.Scatter(x.ToArray(), y.ToArray(), colour);
        line.LegendText = Display(optimizer);
        line.LineWidth = 2;
        line.MarkerSize = 6;
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>Accuracy axis from a little below the worst (chance, for a diverged setting) to just above the best.</summary>
    private static void LimitAccuracyAxis(Plot plot, IReadOnlyList<ClaimRun> runs)
    {
        // Diverged runs are drawn at chance accuracy (see MeansBy).
        double[] drawn = runs.Select(r => r.Diverged ? ChanceAccuracy : r.TestAccuracy).ToArray();
        plot.Axes.SetLimitsY(Math.Max(0, 100 * drawn.Min() - 2), 100 * drawn.Max() + 2);
    }

    /// <summary>ScottPlot 5 draws log axes as log data with integer ticks labelled by their value.</summary>
    private static void LogTicks(IAxis axis, Func<double, double> value, bool log2 = false)
        => axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = log2 ? new ScottPlot.TickGenerators.EvenlySpacedMinorTickGenerator(1) : new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => !log2 && v < 0
                ? string.Create(CultureInfo.InvariantCulture, $"1e{Math.Round(v):0}")
                : value(Math.Round(v)).ToString("G4", CultureInfo.InvariantCulture),
        };

    private static int IndexOfMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }
}

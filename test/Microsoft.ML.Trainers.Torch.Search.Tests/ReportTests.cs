using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Trainers.Torch.Search;
using Microsoft.ML.Trainers.Torch.Search.Charts;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>The report folder: PNG charts rendered headless with ScottPlot, the CSV and the console table.</summary>
[TestClass]
public sealed class ReportTests
{
    private static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };

    [TestMethod]
    public void WritesValidPngChartsCsvAndTable()
    {
        var ml = new MLContext(seed: 1);
        var (train, validation) = TinyData.Load(ml, trainCount: 300, validationCount: 100);
        var options = new OptimizerExperimentOptions
        {
            Seed = 2,
            Budget = new ExperimentBudget { MaxTrials = 6, MinEpochsPerTrial = 1, MaxEpochsPerTrial = 2, ReductionFactor = 3 },
        };
        using OptimizerExperimentResult result = TinyData.Experiment(ml, options).Run(train, validation);
        string folder = Path.Combine(TestData.NewTempDir(), "report");
        var files = ExperimentReport.Write(result, folder);

        Assert.AreEqual(4, files.Count);
        foreach (string png in new[] { ExperimentCharts.LearningCurvesFileName, ExperimentCharts.HeatmapFileName })
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(folder, png));
            CollectionAssert.AreEqual(PngSignature, bytes.Take(8).ToArray(), png);
            Assert.IsTrue(bytes.Length > 5_000, $"{png} has content ({bytes.Length} bytes)");
            // IHDR: width and height, big-endian, at bytes 16..23.
            int width = (bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19];
            int height = (bytes[20] << 24) | (bytes[21] << 16) | (bytes[22] << 8) | bytes[23];
            Assert.IsTrue(width >= 600 && height >= 400, $"{png} is {width}x{height}");
        }

        string[] lines = File.ReadAllText(Path.Combine(folder, ExperimentReport.CsvFileName)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(result.Trials.Count + 1, lines.Length);
        CollectionAssert.AreEqual(LeaderboardFormatter.CsvColumns.ToArray(), lines[0].Split(','));
        string[] first = lines[1].Split(',');
        Assert.AreEqual(LeaderboardFormatter.CsvColumns.Count, first.Length);
        Assert.AreEqual(result.BestTrial.TrialId.ToString(System.Globalization.CultureInfo.InvariantCulture), first[1]);
        int Column(string name) => LeaderboardFormatter.CsvColumns.ToList().IndexOf(name);
        Assert.AreEqual(result.BestTrial.FinalMetric, double.Parse(first[Column("final_metric")], System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual(result.BestTrial.Epochs, first[Column("metric_per_epoch")].Split(';').Length, "metric per epoch");
        Assert.AreEqual(result.BestTrial.Configuration.OptimizerName, first[Column("optimizer")]);
        Assert.AreEqual(result.BestTrial.Configuration.LearningRate, double.Parse(first[Column("learning_rate")], System.Globalization.CultureInfo.InvariantCulture));
        // The sampled settings round-trip: name=value pairs in the candidate's order (e.g. Beta1=0.91;Beta2=0.995).
        string expected = string.Join(";", result.BestTrial.Configuration.Hyperparameters.Select(h => h.Key + "=" + h.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.AreEqual(expected, first[Column("hyperparameters")]);
        Assert.IsNotEmpty(expected, "every default optimizer samples momentum or betas");

        string table = File.ReadAllText(Path.Combine(folder, ExperimentReport.TableFileName));
        Assert.AreEqual(table, LeaderboardFormatter.ToTable(result.Leaderboard));
        StringAssert.Contains(table, "MicroAccuracy");
        StringAssert.Contains(table, result.BestTrial.Configuration.ToString());
    }

    [TestMethod]
    public void HeatmapHandlesEmptyAndSideBySideCharts()
    {
        string folder = TestData.NewTempDir();
        // A leaderboard with no completed trial still renders (one grey cell).
        ExperimentCharts.CreateHeatmap(Array.Empty<TrialResult>()).SavePng(Path.Combine(folder, "empty.png"), 400, 300);
        var chart = new HeatmapChart(new double[,] { { 1, double.NaN }, { 3, 4 } }, new[] { "a", "b" }, new[] { "x", "y" })
        {
            MarkBestPerColumn = true,
            Title = "t",
        };
        HeatmapChart.SaveSideBySide(Path.Combine(folder, "pair.png"), new[] { chart, chart }, 300, 200);
        byte[] pair = File.ReadAllBytes(Path.Combine(folder, "pair.png"));
        CollectionAssert.AreEqual(PngSignature, pair.Take(8).ToArray());
        Assert.AreEqual(600, (pair[16] << 24) | (pair[17] << 16) | (pair[18] << 8) | pair[19]);
        Assert.IsTrue(new FileInfo(Path.Combine(folder, "empty.png")).Length > 1000);
        Assert.ThrowsExactly<ArgumentException>(() => new HeatmapChart(new double[2, 2], new[] { "a" }, new[] { "x", "y" }));
    }
}

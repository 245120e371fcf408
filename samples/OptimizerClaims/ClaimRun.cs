using System;
using System.Collections.Generic;
using System.Linq;
using Samples.Support;

/// <summary>
/// One measurement of a claim: an optimizer at one learning rate, batch size and seed, and its test metrics after
/// <see cref="Epoch"/> epochs (the last epoch for the sweeps; every epoch for the learning curves).
/// </summary>
internal sealed record ClaimRun(string Optimizer, double LearningRate, int BatchSize, int Seed, int Epoch,
    double TestAccuracy, double TestLogLoss, double Seconds)
{
    /// <summary>Whether training stopped on a non-finite loss (the metrics are then NaN).</summary>
    public bool Diverged => double.IsNaN(TestAccuracy);

    private static readonly string[] Header = { "optimizer", "learning_rate", "batch_size", "seed", "epoch", "test_accuracy", "test_log_loss", "seconds" };

    /// <summary>Writes the runs as CSV, so a long measurement keeps what it has if it dies.</summary>
    public static void WriteCsv(string path, IEnumerable<ClaimRun> runs)
        => RunsCsv.Write(path, Header, runs, r => new object[] { r.Optimizer, r.LearningRate, r.BatchSize, r.Seed, r.Epoch, r.TestAccuracy, r.TestLogLoss, r.Seconds });

    /// <summary>Reads a runs.csv written by <see cref="WriteCsv"/>, naming the file and line of anything malformed.</summary>
    public static IReadOnlyList<ClaimRun> ReadCsv(string path)
        => RunsCsv.Read(path, Header, row => new ClaimRun(row.GetField("optimizer")!, row.GetField<double>("learning_rate"),
            row.GetField<int>("batch_size"), row.GetField<int>("seed"), row.GetField<int>("epoch"), row.GetField<double>("test_accuracy"),
            row.GetField<double>("test_log_loss"), row.GetField<double>("seconds")));

    /// <summary>
    /// Each optimizer's learning rate with the best seed-mean test accuracy in a learning-rate sweep (diverged runs count
    /// as 0), keyed by the <c>--optimizer</c> name.
    /// </summary>
    public static IReadOnlyDictionary<string, double> BestLearningRates(IEnumerable<ClaimRun> sweep)
        => sweep.GroupBy(r => r.Optimizer, StringComparer.OrdinalIgnoreCase).ToDictionary(o => o.Key,
            o => o.GroupBy(r => r.LearningRate).MaxBy(g => g.Average(r => r.Diverged ? 0 : r.TestAccuracy))!.Key, StringComparer.OrdinalIgnoreCase);
}

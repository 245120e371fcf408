using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

/// <summary>
/// One measurement of a claim: an optimizer at one learning rate, batch size and seed, and its test metrics after
/// <see cref="Epoch"/> epochs (the last epoch for the sweeps; every epoch for the learning curves).
/// </summary>
internal sealed record ClaimRun(string Optimizer, double LearningRate, int BatchSize, int Seed, int Epoch,
    double TestAccuracy, double TestLogLoss, double Seconds)
{
    /// <summary>Whether training stopped on a non-finite loss (the metrics are then NaN).</summary>
    public bool Diverged => double.IsNaN(TestAccuracy);

    private const string Header = "optimizer,learning_rate,batch_size,seed,epoch,test_accuracy,test_log_loss,seconds";

    /// <summary>Writes the runs as CSV, so a long measurement keeps what it has if it dies.</summary>
    public static void WriteCsv(string path, IEnumerable<ClaimRun> runs)
        => File.WriteAllLines(path, runs.Select(r => string.Join(",", r.Optimizer, R(r.LearningRate),
            I(r.BatchSize), I(r.Seed), I(r.Epoch), R(r.TestAccuracy), R(r.TestLogLoss), R(r.Seconds))).Prepend(Header));

    /// <summary>Reads a runs.csv written by <see cref="WriteCsv"/>, naming the file and line of anything malformed.</summary>
    public static IReadOnlyList<ClaimRun> ReadCsv(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header)
        {
            throw new InvalidDataException($"'{path}' does not start with the header '{Header}'.");
        }
        var runs = new List<ClaimRun>();
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            try
            {
                if (f.Length != 8)
                {
                    throw new FormatException($"expected 8 fields, found {f.Length}");
                }
                runs.Add(new ClaimRun(f[0], D(f[1]), int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture),
                    int.Parse(f[4], CultureInfo.InvariantCulture), D(f[5]), D(f[6]), D(f[7])));
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"'{path}' line {i + 1}: {ex.Message}.", ex);
            }
        }
        return runs;
    }

    /// <summary>
    /// Each optimizer's learning rate with the best seed-mean test accuracy in a learning-rate sweep (diverged runs count
    /// as 0), keyed by the <c>--optimizer</c> name.
    /// </summary>
    public static IReadOnlyDictionary<string, double> BestLearningRates(IEnumerable<ClaimRun> sweep)
        => sweep.GroupBy(r => r.Optimizer, StringComparer.OrdinalIgnoreCase).ToDictionary(o => o.Key,
            o => o.GroupBy(r => r.LearningRate).MaxBy(g => g.Average(r => r.Diverged ? 0 : r.TestAccuracy))!.Key, StringComparer.OrdinalIgnoreCase);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static double D(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>The leaderboard as a console table and as CSV.</summary>
public static class LeaderboardFormatter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The CSV header, in column order.</summary>
    public static readonly IReadOnlyList<string> CsvColumns = new[]
    {
        "rank", "trial_id", "configuration_id", "rung", "epochs", "status", "promoted", "optimizer", "learning_rate", "weight_decay",
        "hyperparameters", "schedule", "metric", "final_metric", "seconds", "metric_per_epoch", "error",
    };

    /// <summary>A fixed-width text table, one line per trial in the given order (pass <see cref="OptimizerExperimentResult.Leaderboard"/>).</summary>
    public static string ToTable(IReadOnlyList<TrialResult> leaderboard)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        string metric = leaderboard.Count > 0 ? leaderboard[0].Metric.ToString() : "metric";
        var rows = new List<string[]> { new[] { "#", "trial", "config", "rung", "epochs", "status", metric, "seconds", "configuration" } };
        for (int i = 0; i < leaderboard.Count; i++)
        {
            TrialResult t = leaderboard[i];
            rows.Add(new[]
            {
                (i + 1).ToString(Invariant), t.TrialId.ToString(Invariant), t.ConfigurationId.ToString(Invariant), t.Rung.ToString(Invariant),
                t.Epochs.ToString(Invariant), t.Status + (t.Promoted ? "*" : ""),
                double.IsNaN(t.FinalMetric) ? "-" : t.FinalMetric.ToString("F4", Invariant), t.Seconds.ToString("F1", Invariant), t.Configuration.ToString(),
            });
        }
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            for (int c = 0; c < row.Length; c++)
            {
                // Numbers right-aligned, the free-text configuration left-aligned and last so it may run long.
                text.Append(c == row.Length - 1 ? row[c] : row[c].PadLeft(widths[c])).Append(c == row.Length - 1 ? "" : "  ");
            }
            text.AppendLine();
        }
        text.AppendLine("(* promoted to the next rung)");
        return text.ToString();
    }

    /// <summary>RFC 4180 CSV with the <see cref="CsvColumns"/> header, culture-invariant numbers, one row per trial.</summary>
    public static string ToCsv(IReadOnlyList<TrialResult> leaderboard)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        var text = new StringBuilder();
        text.Append(string.Join(",", CsvColumns)).Append("\r\n");
        for (int i = 0; i < leaderboard.Count; i++)
        {
            TrialResult t = leaderboard[i];
            TrialConfiguration c = t.Configuration;
            string[] fields =
            {
                (i + 1).ToString(Invariant), t.TrialId.ToString(Invariant), t.ConfigurationId.ToString(Invariant), t.Rung.ToString(Invariant),
                t.Epochs.ToString(Invariant), t.Status.ToString(), t.Promoted ? "true" : "false", c.OptimizerName, Number(c.LearningRate),
                Number(c.WeightDecay), string.Join(";", c.Hyperparameters.Select(h => h.Key + "=" + Number(h.Value))), c.ScheduleName, t.Metric.ToString(), Number(t.FinalMetric), t.Seconds.ToString("F3", Invariant),
                string.Join(";", t.MetricPerEpoch.Select(m => Number(m))), t.Error ?? "",
            };
            text.Append(string.Join(",", fields.Select(Quote))).Append("\r\n");
        }
        return text.ToString();
    }

    private static string Number(double? value) => value is double v && !double.IsNaN(v) ? v.ToString("R", Invariant) : "";

    private static string Quote(string field)
        => field.IndexOfAny(new[] { ',', '"', '\r', '\n' }) >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}

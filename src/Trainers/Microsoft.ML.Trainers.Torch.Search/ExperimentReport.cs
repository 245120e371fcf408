using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Search.Charts;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// Writes an experiment's report to a folder: <c>leaderboard.csv</c>, <c>leaderboard.txt</c> (the console table), and
/// the charts of <see cref="ExperimentCharts"/> (<c>learning-curves.png</c>, <c>lr-wd-heatmap.png</c>).
/// </summary>
public static class ExperimentReport
{
    /// <summary>File name of the CSV leaderboard.</summary>
    public const string CsvFileName = "leaderboard.csv";

    /// <summary>File name of the text leaderboard.</summary>
    public const string TableFileName = "leaderboard.txt";

    /// <summary>Writes the report for <paramref name="result"/> into <paramref name="folder"/> (created if needed); returns the files written.</summary>
    public static IReadOnlyList<string> Write(OptimizerExperimentResult result, string folder)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Write(result.Leaderboard, folder);
    }

    /// <summary>Writes the report for a leaderboard (e.g. the partial one of a canceled experiment); returns the files written.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<TrialResult> leaderboard, string folder)
    {
        ArgumentNullException.ThrowIfNull(leaderboard);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        string csv = Path.Combine(folder, CsvFileName);
        string table = Path.Combine(folder, TableFileName);
        File.WriteAllText(csv, LeaderboardFormatter.ToCsv(leaderboard));
        File.WriteAllText(table, LeaderboardFormatter.ToTable(leaderboard));
        return new[] { csv, table }.Concat(ExperimentCharts.Write(leaderboard, folder)).ToList();
    }
}

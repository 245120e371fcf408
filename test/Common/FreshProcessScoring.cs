using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Scores a saved ML.NET model in a fresh process with ModelLoadProbe (test/ModelLoadProbe), to prove that
/// <c>mlContext.Model.Save</c> / <c>Load</c> works with nothing of the training process left. A test project opts in by
/// importing <c>test/ModelLoadProbe/UseModelLoadProbe.targets</c>.
/// </summary>
public static class FreshProcessScoring
{
    /// <summary>The PredictedLabel keys and Score vectors, row by row, that a fresh process computes.</summary>
    /// <param name="modelPath">A model zip written by <c>mlContext.Model.Save</c>.</param>
    /// <param name="dataPath">The input rows, written by <c>mlContext.Data.SaveAsBinary</c>.</param>
    /// <param name="scoreColumn">The model's Score column.</param>
    /// <param name="predictedLabelColumn">The model's PredictedLabel column.</param>
    public static (uint[] PredictedLabels, float[][] Scores) Score(string modelPath, string dataPath,
        string scoreColumn = "Score", string predictedLabelColumn = "PredictedLabel")
    {
        string probe = ProbePath;
        string output = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataPath))!, "fresh-process-scores.tsv");
        // The dotnet host running the SDK (set by `dotnet test`), else the one on PATH.
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { probe, modelPath, dataPath, output, scoreColumn, predictedLabelColumn })
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{host} {probe}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ModelLoadProbe did not finish within 5 minutes: {probe}");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ModelLoadProbe exited with code {process.ExitCode}.\nstdout:\n{stdout.Result}\nstderr:\n{stderr.Result}");
        }
        string[] lines = File.ReadAllLines(output);
        var predicted = new uint[lines.Length];
        var scores = new float[lines.Length][];
        for (int i = 0; i < lines.Length; i++)
        {
            string[] parts = lines[i].Split('\t');
            predicted[i] = uint.Parse(parts[0], CultureInfo.InvariantCulture);
            scores[i] = parts[1].Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }
        return (predicted, scores);
    }

    /// <summary>The built ModelLoadProbe.dll, as recorded at build time by UseModelLoadProbe.targets.</summary>
    public static string ProbePath
    {
        get
        {
            string? path = typeof(FreshProcessScoring).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .SingleOrDefault(a => a.Key == "ModelLoadProbePath")?.Value;
            if (string.IsNullOrEmpty(path))
            {
                throw new InvalidOperationException(
                    "This test assembly does not record ModelLoadProbePath: import test/ModelLoadProbe/UseModelLoadProbe.targets in its project.");
            }
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"ModelLoadProbe was not built at '{path}'.", path);
            }
            return path;
        }
    }
}

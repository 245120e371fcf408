using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

/// <summary>
/// One training run of the grid: the optimizer, its learning rate, the grid's decay coordinate (Adam-L2's coefficient or
/// AdamW's per-step factor lambda = lr * wd), PyTorch's weight_decay, the seed and the test metrics.
/// </summary>
internal sealed record GridRun(string Optimizer, double LearningRate, double GridDecay, double PyTorchDecay, int Seed,
    double TestAccuracy, double TestLogLoss, double Seconds)
{
    public const string AdamL2 = "Adam-L2";
    public const string AdamW = "AdamW";

    private const string Header = "optimizer,learning_rate,grid_weight_decay,pytorch_weight_decay,seed,test_accuracy,test_error,test_log_loss,seconds";

    public double TestError => 1 - TestAccuracy;

    public static void WriteCsv(string path, IEnumerable<GridRun> runs)
        => File.WriteAllLines(path, runs.Select(r => string.Join(",", r.Optimizer, R(r.LearningRate), R(r.GridDecay), R(r.PyTorchDecay),
            r.Seed.ToString(CultureInfo.InvariantCulture), R(r.TestAccuracy), R(r.TestError), R(r.TestLogLoss), R(r.Seconds))).Prepend(Header));

    /// <summary>Reads a grid.csv written by <see cref="WriteCsv"/>, naming the file and line of anything malformed.</summary>
    public static IReadOnlyList<GridRun> ReadCsv(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header)
        {
            throw new InvalidDataException($"'{path}' does not start with the grid header '{Header}'.");
        }
        var runs = new List<GridRun>();
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            try
            {
                if (f.Length != 9 || (f[0] != AdamL2 && f[0] != AdamW))
                {
                    throw new FormatException($"expected 9 fields starting with {AdamL2} or {AdamW}");
                }
                runs.Add(new GridRun(f[0], D(f[1]), D(f[2]), D(f[3]), int.Parse(f[4], CultureInfo.InvariantCulture), D(f[5]), D(f[7]), D(f[8])));
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"'{path}' line {i + 1}: {ex.Message}.", ex);
            }
        }
        return runs;
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static double D(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}

using System;
using System.Collections.Generic;
using System.Linq;
using Samples.Support;

/// <summary>
/// One training run of the grid: the optimizer, its learning rate, the grid's decay coordinate (Adam-L2's coefficient or
/// AdamW's per-step factor lambda = lr * wd), PyTorch's weight_decay, the seed and the test metrics.
/// </summary>
internal sealed record GridRun(string Optimizer, double LearningRate, double GridDecay, double PyTorchDecay, int Seed,
    double TestAccuracy, double TestLogLoss, double Seconds)
{
    public const string AdamL2 = "Adam-L2";
    public const string AdamW = "AdamW";

    private static readonly string[] Header =
        { "optimizer", "learning_rate", "grid_weight_decay", "pytorch_weight_decay", "seed", "test_accuracy", "test_error", "test_log_loss", "seconds" };

    public double TestError => 1 - TestAccuracy;

    public static void WriteCsv(string path, IEnumerable<GridRun> runs)
        => RunsCsv.Write(path, Header, runs, r => new object[] { r.Optimizer, r.LearningRate, r.GridDecay, r.PyTorchDecay, r.Seed, r.TestAccuracy, r.TestError, r.TestLogLoss, r.Seconds });

    /// <summary>Reads a grid.csv written by <see cref="WriteCsv"/>, naming the file and line of anything malformed.</summary>
    public static IReadOnlyList<GridRun> ReadCsv(string path)
        => RunsCsv.Read(path, Header, row => row.GetField("optimizer") is string optimizer && optimizer is AdamL2 or AdamW
            ? new GridRun(optimizer, row.GetField<double>("learning_rate"), row.GetField<double>("grid_weight_decay"), row.GetField<double>("pytorch_weight_decay"),
                row.GetField<int>("seed"), row.GetField<double>("test_accuracy"), row.GetField<double>("test_log_loss"), row.GetField<double>("seconds"))
            : throw new FormatException($"the optimizer must be {AdamL2} or {AdamW}"));
}

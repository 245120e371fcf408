using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// A training run killed with SIGKILL mid-epoch and resumed from its checkpoint in a new process ends with the same
/// weights, bit for bit, as a run never interrupted; checkpoints of other runs and damaged ones fail clearly.
/// </summary>
[TestClass]
public sealed class CheckpointResumeTests
{
    [TestMethod]
    [DataRow(TrainingPrecision.Float32)]
    [DataRow(TrainingPrecision.MixedBFloat16)]
    public void KilledMidEpochAndResumedMatchesUninterruptedRun(TrainingPrecision precision)
    {
        string dir = TestData.NewTempDir();
        string uninterrupted = Path.Combine(dir, "uninterrupted.safetensors");
        string resumed = Path.Combine(dir, "resumed.safetensors");
        string folder = Path.Combine(dir, "checkpoints");

        RunChild(precision, "-", uninterrupted);

        long seenAt;
        // Kill once a checkpoint inside epoch 2 exists (12 steps per epoch), wherever the child is then.
        using (Process child = StartChild(precision, folder, resumed))
        {
            var clock = Stopwatch.StartNew();
            while (!child.HasExited && LatestStep(folder) < 15 && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                Thread.Sleep(10);
            }
            if (child.HasExited)
            {
                Assert.Fail("the child finished before it could be killed: " + child.StandardOutput.ReadToEnd() + child.StandardError.ReadToEnd());
            }
            seenAt = LatestStep(folder);
            child.Kill();   // SIGKILL on Unix: no cleanup runs.
            child.WaitForExit();
        }
        long killedAt = LatestStep(folder);
        Assert.IsFalse(File.Exists(resumed), $"the killed run must not have finished (seen step {seenAt} at the kill, last checkpoint at step {killedAt}: {string.Join(", ", Directory.GetFiles(folder).Select(Path.GetFileName))})");
        Assert.IsTrue(killedAt < 36, $"killed before the end (last checkpoint at step {killedAt} of 36)");

        string log = RunChild(precision, folder, resumed);
        StringAssert.Contains(log, "Resuming from checkpoint");
        CollectionAssert.AreEqual(File.ReadAllBytes(uninterrupted), File.ReadAllBytes(resumed),
            $"weights after resuming from step {killedAt} differ from the uninterrupted run's");
    }

    [TestMethod]
    public void CheckpointOfOtherOptionsOrDataFailsNamingWhatDiffers()
    {
        string folder = Path.Combine(TestData.NewTempDir(), "checkpoints");
        Fit(OneEpoch(folder), 192);

        var otherRate = OneEpoch(folder);
        otherRate.Optimizer = new Microsoft.ML.Optimizers.SgdOptions { LearningRate = 0.1, Momentum = 0.9, WeightDecay = 5e-4 };
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Fit(otherRate, 192));
        StringAssert.Contains(e.Message, "CheckpointFolder");
        StringAssert.Contains(e.Message, "Optimizer.LearningRate is 0.05 in the checkpoint and 0.1 now");
        StringAssert.DoesNotMatch(e.StackTrace!, ReadingOrTraining, "other options are found before any image is read");

        e = Assert.ThrowsExactly<InvalidOperationException>(() => Fit(OneEpoch(folder), 128));
        StringAssert.Contains(e.Message, "data.training_rows is 145 in the checkpoint and 95 now");
    }

    [TestMethod]
    public void FitAgainAfterAFinishedRunResumesFromItsLastEpochToTheSameModel()
    {
        string folder = Path.Combine(TestData.NewTempDir(), "checkpoints");
        var first = OneEpoch(folder);
        first.Epochs = 2;
        var again = OneEpoch(folder);
        again.Epochs = 2;
        var log = new List<string>();
        Dictionary<string, byte[]> trained = FitWeights(first, null);
        Dictionary<string, byte[]> resumed = FitWeights(again, log);

        Assert.IsTrue(log.Any(m => m.Contains("epoch 2, 12 of 12 steps done", StringComparison.Ordinal)), string.Join("\n", log));
        StateBytes.AssertIdentical(trained, resumed, "the epoch-end checkpoint's validation and best-epoch restore, repeated");
    }

    [TestMethod]
    public void TruncatedCheckpointFailsClearlyAndIsNotOverwritten() => DamagedCheckpointFailsBeforeAnyImageIsRead(bytes => bytes[..100_000]);

    [TestMethod]
    public void ACheckpointWithAFlippedByteFailsBeforeAnyImageIsRead() => DamagedCheckpointFailsBeforeAnyImageIsRead(bytes =>
    {
        // The middle of the file lies inside the tensors (the zip is uncompressed, state.json comes last).
        bytes[bytes.Length / 2] ^= 0x40;
        return bytes;
    });

    /// <summary>Damages the only checkpoint of a finished run; the next fit fails naming it, before reading, and leaves it.</summary>
    private static void DamagedCheckpointFailsBeforeAnyImageIsRead(Func<byte[], byte[]> damage)
    {
        string folder = Path.Combine(TestData.NewTempDir(), "checkpoints");
        Fit(OneEpoch(folder), 192);
        string path = Directory.GetFiles(folder).Single();
        byte[] damaged = damage(File.ReadAllBytes(path));
        File.WriteAllBytes(path, damaged);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => Fit(OneEpoch(folder), 192));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "corrupt");
        StringAssert.DoesNotMatch(e.StackTrace!, ReadingOrTraining, "checked before any image is read");
        CollectionAssert.AreEqual(damaged, File.ReadAllBytes(path), "the damaged checkpoint is left as it was");
        Assert.AreEqual(1, Directory.GetFiles(folder).Length);
    }

    private static readonly Regex ReadingOrTraining = new("ReadTrainingSet|TrainingLoop");

    private static Microsoft.ML.Trainers.Torch.Images.ImageClassificationTrainerOptions OneEpoch(string folder)
    {
        var options = ResumeChild.Options(TrainingPrecision.Float32, folder);
        options.Epochs = 1;
        options.CheckpointEveryUnit = CheckpointUnit.Epochs;
        return options;
    }

    private static void Fit(Microsoft.ML.Trainers.Torch.Images.ImageClassificationTrainerOptions options, int rows)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", rows));
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options)).Fit(data);
        ((TorchClassificationTransformer)model.LastTransformer).Dispose();
    }

    private static Dictionary<string, byte[]> FitWeights(Microsoft.ML.Trainers.Torch.Images.ImageClassificationTrainerOptions options, List<string>? log)
    {
        var ml = new MLContext(seed: 1);
        if (log != null)
        {
            ml.Log += (_, e) => log.Add(e.Message);
        }
        IDataView data = ml.Data.LoadFromEnumerable(FashionMnistSubset.PixelRows("train", 256));
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ImageClassification(options)).Fit(data);
        using var trained = (TorchClassificationTransformer)model.LastTransformer;
        return StateBytes.Of(trained.Model.Network);
    }

    /// <summary>The newest complete checkpoint's global step, or -1.</summary>
    private static long LatestStep(string folder)
    {
        long latest = -1;
        foreach (string path in Directory.Exists(folder) ? Directory.GetFiles(folder) : Array.Empty<string>())
        {
            Match match = Regex.Match(Path.GetFileName(path), @"^checkpoint-(\d+)\.zip$");
            if (match.Success)
            {
                latest = Math.Max(latest, long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }
        return latest;
    }

    private static Process StartChild(TrainingPrecision precision, string folder, string output)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { typeof(ResumeChild).Assembly.Location, "resume-child", precision.ToString(), folder, output })
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
    }

    private static string RunChild(TrainingPrecision precision, string folder, string output)
    {
        using Process child = StartChild(precision, folder, output);
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            child.Kill();
            Assert.Fail("the child training did not finish within 5 minutes");
        }
        Assert.AreEqual(0, child.ExitCode, $"child failed:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}

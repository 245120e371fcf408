using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Extensions.Tests;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// fastText (sparse embedding updates) and BERT (dropout from the fit's generator) killed with SIGKILL mid-epoch resume in
/// a new process to the same weights, bit for bit, as an uninterrupted run; and concurrent BERT fits match a sequential one.
/// </summary>
[TestClass]
public sealed class TextCheckpointResumeTests
{
    [TestMethod]
    [DataRow("FastText")]
    [DataRow("Bert")]
    public void KilledMidEpochAndResumedMatchesUninterruptedRun(string model)
    {
        string dir = TestData.NewTempDir();
        string uninterrupted = Path.Combine(dir, "uninterrupted.safetensors");
        string resumed = Path.Combine(dir, "resumed.safetensors");
        string folder = Path.Combine(dir, "checkpoints");

        Run(model, "-", uninterrupted);

        // The child stops after step 5 of epoch 2 (global 15), before that step's checkpoint: the newest is global step 12
        // (one every 3 steps, the last 2 kept), so the resumed run redoes steps 13 to 15.
        using (Process child = Start(model, folder, resumed, stall: true))
        {
            string? line;
            while ((line = child.StandardOutput.ReadLine()) != null && line != "stalling")
            {
            }
            if (line != "stalling")
            {
                Assert.Fail("the child ended before stalling: " + child.StandardError.ReadToEnd());
            }
            child.Kill();   // SIGKILL on Unix: no cleanup runs.
            child.WaitForExit();
        }
        Assert.IsFalse(File.Exists(resumed));
        CollectionAssert.AreEqual(new[] { "checkpoint-0000000009.zip", "checkpoint-0000000012.zip" },
            Directory.GetFiles(folder).Select(Path.GetFileName).Order().ToArray());

        string log = Run(model, folder, resumed);
        StringAssert.Contains(log, "Resuming from checkpoint");
        StringAssert.Contains(log, "epoch 2, 2 of 10 steps done");
        CollectionAssert.AreEqual(File.ReadAllBytes(uninterrupted), File.ReadAllBytes(resumed), $"{model}: resumed weights differ from the uninterrupted run's");
    }

    [TestMethod]
    public void ParallelBertFitsMatchSequentialBitForBit()
    {
        static Dictionary<string, byte[]> Train()
        {
            var ml = new MLContext(seed: 1);
            TextClassificationTrainerOptions options = TextResumeChild.Options("Bert", null);
            options.Epochs = 1;
            var model = TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options))
                .Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(160, seed: 3)));
            using var trained = (TorchClassificationTransformer)model.LastTransformer;
            return StateBytes.Of(trained.Model.Network);
        }

        Dictionary<string, byte[]> sequential = Train();
        var results = new Dictionary<string, byte[]>?[2];
        var errors = new Exception?[2];
        Thread[] threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            try
            {
                results[i] = Train();
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        })).ToArray();
        foreach (Thread t in threads)
        {
            t.Start();
        }
        foreach (Thread t in threads)
        {
            t.Join();
        }
        Assert.IsNull(errors[0] ?? errors[1], (errors[0] ?? errors[1])?.ToString());
        StateBytes.AssertIdentical(sequential, results[0]!, "parallel BERT fit 1");
        StateBytes.AssertIdentical(sequential, results[1]!, "parallel BERT fit 2");
    }

    private static Process Start(string model, string folder, string output, bool stall = false)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { typeof(TextResumeChild).Assembly.Location, "resume-child", model, folder, output }.Concat(stall ? new[] { "stall" } : Array.Empty<string>()))
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
    }

    private static string Run(string model, string folder, string output)
    {
        using Process child = Start(model, folder, output);
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

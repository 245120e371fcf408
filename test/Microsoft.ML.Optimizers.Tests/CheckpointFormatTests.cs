using System;
using System.IO;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// The checkpoint format optimizers and schedulers share: magic "MLOPTCKP", format version (int32), kind and name
/// (length-prefixed UTF-8), then named, typed entries up to an end marker.
/// </summary>
[TestClass]
public sealed class CheckpointFormatTests
{
    private static (string Magic, int Version, string Kind, string Name, string FirstEntry) ReadHeader(MemoryStream stream)
    {
        stream.Position = 0;
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        string magic = Encoding.ASCII.GetString(reader.ReadBytes(8));
        return (magic, reader.ReadInt32(), reader.ReadString(), reader.ReadString(), reader.ReadString());
    }

    [TestMethod]
    public void OptimizerAndSchedulerShareOneHeader()
    {
        using var p = new Parameter(zeros(4));
        using Optimizer optimizer = new AdamWOptions().Create(new[] { p });
        var optimizerStream = new MemoryStream();
        optimizer.Save(optimizerStream);
        var schedulerStream = new MemoryStream();
        new WarmupCosineSchedule().Create(optimizer, 10).Save(schedulerStream);

        Assert.AreEqual(("MLOPTCKP", 2, "optimizer", "AdamW", "step_count"), ReadHeader(optimizerStream));
        Assert.AreEqual(("MLOPTCKP", 2, "learning-rate scheduler", "WarmupCosine", "total_steps"), ReadHeader(schedulerStream));
    }

    [TestMethod]
    public void OneKindIsNotLoadedAsTheOther()
    {
        using var p = new Parameter(zeros(4));
        using Optimizer optimizer = new SgdOptions().Create(new[] { p });
        LearningRateScheduler scheduler = new ConstantSchedule().Create(optimizer, 10);
        var optimizerStream = new MemoryStream();
        optimizer.Save(optimizerStream);
        var schedulerStream = new MemoryStream();
        scheduler.Save(schedulerStream);

        schedulerStream.Position = 0;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => optimizer.Load(schedulerStream)).Message,
            "holds a learning-rate scheduler checkpoint, not an optimizer checkpoint");
        optimizerStream.Position = 0;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => scheduler.Load(optimizerStream)).Message,
            "holds an optimizer checkpoint, not a learning-rate scheduler checkpoint");
    }

    [TestMethod]
    public void OtherVersionsAreNamed()
    {
        using var p = new Parameter(zeros(4));
        using Optimizer optimizer = new SgdOptions().Create(new[] { p });
        var version1 = new MemoryStream(Encoding.ASCII.GetBytes("MLOPTIM1\u0001\0\0\0"));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => optimizer.Load(version1)).Message, "format version 1");

        var stream = new MemoryStream();
        optimizer.Save(stream);
        byte[] bytes = stream.ToArray();
        BitConverter.GetBytes(3).CopyTo(bytes, 8);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => optimizer.Load(new MemoryStream(bytes))).Message, "version 3");
    }

    [TestMethod]
    public void ATruncatedCheckpointChangesNothing()
    {
        using DisposeScope scope = NewDisposeScope();
        var p = new Parameter(randn(100));
        using Optimizer optimizer = new AdamWOptions().Create(new[] { p });
        p.grad = randn(100);
        optimizer.Step();
        var stream = new MemoryStream();
        optimizer.Save(stream);
        using Tensor before = optimizer.GetState(p, "exp_avg")!.clone();

        // Another run's state, cut off in the middle of its last entries.
        var q = new Parameter(randn(100));
        using Optimizer other = new AdamWOptions().Create(new[] { q });
        for (int i = 0; i < 3; i++)
        {
            q.grad = randn(100);
            other.Step();
        }
        var otherStream = new MemoryStream();
        other.Save(otherStream);
        byte[] cut = otherStream.ToArray()[..(int)(otherStream.Length - 20)];
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => optimizer.Load(new MemoryStream(cut))).Message, "truncated");

        using Tensor after = optimizer.GetState(p, "exp_avg")!;
        Assert.IsTrue(before.eq(after).all().item<bool>(), "state unchanged");
        Assert.AreEqual(1L, optimizer.StepCount);
        Assert.AreEqual(1L, optimizer.GetStepCount(p));
    }

    [TestMethod]
    public void LayoutMismatchesNameTheEntry()
    {
        using var p = new Parameter(zeros(4));
        using Optimizer amsGrad = new AdamWOptions { AmsGrad = true }.Create(new[] { p });
        var stream = new MemoryStream();
        amsGrad.Save(stream);
        using var q = new Parameter(zeros(4));
        using Optimizer plain = new AdamWOptions().Create(new[] { q });
        stream.Position = 0;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => plain.Load(stream)).Message,
            "the state layout differs (checkpoint: exp_avg,exp_avg_sq,max_exp_avg_sq; this optimizer: exp_avg,exp_avg_sq)");
    }
}

using System;
using System.IO;
using System.Linq;
using System.Text;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Drives an optimizer's learning rates (and, for one-cycle, momentum or beta1) through a schedule, one
/// <see cref="Step"/> per optimizer step: call <c>optimizer.Step()</c> then <c>scheduler.Step()</c>, as in PyTorch.
/// Create one with <see cref="ScheduleOptions.Create"/>.
/// </summary>
public sealed class LearningRateScheduler
{
    private const string CheckpointMagic = "MLSCHED1";

    private readonly Optimizer _optimizer;
    private readonly IScheduleRule _rule;
    private readonly double[] _baseLearningRates;

    internal LearningRateScheduler(Optimizer optimizer, long totalSteps, string name, IScheduleRule rule)
    {
        _optimizer = optimizer;
        _rule = rule;
        ScheduleName = name;
        TotalSteps = totalSteps;
        // PyTorch's base_lrs: each group's initial_lr.
        _baseLearningRates = optimizer.ParameterGroups.Select(g => g.InitialLearningRate!.Value).ToArray();
        Apply();
    }

    /// <summary>The schedule's name (see <see cref="ScheduleOptions.ScheduleName"/>).</summary>
    public string ScheduleName { get; }

    /// <summary>The run length the schedule was created for.</summary>
    public long TotalSteps { get; }

    /// <summary>How many times <see cref="Step"/> was called: the 0-based index of the optimizer step about to run.</summary>
    public long Position { get; private set; }

    /// <summary>The learning rate of group 0 that the next optimizer step will use.</summary>
    public double CurrentLearningRate => _optimizer.LearningRate;

    /// <summary>Advances to the next optimizer step and sets its hyperparameters.</summary>
    public void Step()
    {
        Position++;
        Apply();
    }

    /// <summary>Writes the schedule's position (and base learning rates) to <paramref name="stream"/>; it is left open.</summary>
    /// <param name="stream">A writable stream.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Encoding.ASCII.GetBytes(CheckpointMagic));
        writer.Write(ScheduleName);
        writer.Write(TotalSteps);
        writer.Write(Position);
        writer.Write(_baseLearningRates.Length);
        foreach (double lr in _baseLearningRates)
        {
            writer.Write(lr);
        }
    }

    /// <summary>
    /// Restores a position written by <see cref="Save"/> from a scheduler of the same schedule and run length, and sets the
    /// optimizer's hyperparameters for it.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the checkpoint; it is left open.</param>
    /// <exception cref="InvalidDataException">The stream is not a checkpoint of a matching schedule.</exception>
    public void Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (Encoding.ASCII.GetString(reader.ReadBytes(CheckpointMagic.Length)) != CheckpointMagic)
        {
            throw new InvalidDataException("The stream does not hold a learning-rate scheduler checkpoint.");
        }
        string name = reader.ReadString();
        long totalSteps = reader.ReadInt64();
        long position = reader.ReadInt64();
        int groups = reader.ReadInt32();
        if (name != ScheduleName || totalSteps != TotalSteps || groups != _baseLearningRates.Length)
        {
            throw new InvalidDataException(
                $"The scheduler checkpoint ({name}, {totalSteps} steps, {groups} groups) does not match this scheduler "
                + $"({ScheduleName}, {TotalSteps} steps, {_baseLearningRates.Length} groups).");
        }
        var baseLearningRates = new double[groups];
        for (int i = 0; i < groups; i++)
        {
            baseLearningRates[i] = reader.ReadDouble();
        }
        baseLearningRates.CopyTo(_baseLearningRates, 0);
        Position = position;
        Apply();
    }

    private void Apply()
    {
        if (_optimizer.ParameterGroups.Count != _baseLearningRates.Length)
        {
            throw new InvalidOperationException("The optimizer's parameter groups changed after the scheduler was created.");
        }
        // Past the end the schedule holds its final value (PyTorch would raise for one-cycle).
        _rule.Apply(_optimizer, _baseLearningRates, Math.Min(Position, TotalSteps));
    }
}

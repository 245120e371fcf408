using System;
using System.IO;
using System.Linq;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Drives an optimizer's learning rates (and, for one-cycle, momentum or beta1) through a schedule, one
/// <see cref="Step"/> per optimizer step: call <c>optimizer.Step()</c> then <c>scheduler.Step()</c>, as in PyTorch.
/// Create one with <see cref="ScheduleOptions.Create"/>.
/// </summary>
public sealed class LearningRateScheduler
{
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
        _baseLearningRates = optimizer.ParameterGroups.Select(g => g.InitialLearningRate).ToArray();
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

    /// <summary>
    /// Writes the schedule's position and base learning rates to <paramref name="stream"/> (the same checkpoint format as
    /// <see cref="Optimizer.Save"/>: a header, then named entries); the stream is left open.
    /// </summary>
    /// <param name="stream">A writable stream.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new CheckpointWriter(stream, new CheckpointHeader(CheckpointKind.Scheduler, ScheduleName));
        writer.Write("total_steps", TotalSteps);
        writer.Write("position", Position);
        writer.Write("base_lrs", _baseLearningRates);
        writer.Finish();
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
        using var reader = new CheckpointReader(stream, CheckpointKind.Scheduler);
        string name = reader.Header.Name;
        long totalSteps = reader.Int64("total_steps");
        long position = reader.Int64("position");
        double[] baseLearningRates = reader.Doubles("base_lrs");
        if (name != ScheduleName || totalSteps != TotalSteps || baseLearningRates.Length != _baseLearningRates.Length)
        {
            throw reader.Mismatch(
                $"the checkpoint is of {name} over {totalSteps} steps and {baseLearningRates.Length} groups, this scheduler is "
                + $"{ScheduleName} over {TotalSteps} steps and {_baseLearningRates.Length} groups");
        }
        if (position < 0 || baseLearningRates.Any(lr => !double.IsFinite(lr) || lr < 0))
        {
            throw reader.Mismatch("its position or base learning rates are out of range");
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

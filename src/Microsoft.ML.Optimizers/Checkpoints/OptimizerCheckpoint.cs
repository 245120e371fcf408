using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// An optimizer's <c>state_dict</c> as checkpoint entries: the step count, each group's rule, size and live
/// hyperparameters (<c>param_groups.{g}.*</c>), each flat bucket's state buffers by name (<c>buckets.{b}.exp_avg</c>) and
/// each tensor's size, step count and whether its state exists (<c>state.{i}.*</c>, PyTorch's state index).
/// </summary>
internal static class OptimizerCheckpoint
{
    public static void Save(Optimizer optimizer, Stream stream)
    {
        using var writer = new CheckpointWriter(stream, new CheckpointHeader(CheckpointKind.Optimizer, optimizer.AlgorithmName));
        writer.Write("step_count", optimizer.StepCount);
        writer.Write("state_names", string.Join(",", optimizer.StateNames));
        writer.Write("param_groups", (long)optimizer.ParameterGroups.Count);
        for (int g = 0; g < optimizer.ParameterGroups.Count; g++)
        {
            LiveParameterGroup group = optimizer.ParameterGroups[g];
            string prefix = $"param_groups.{g}.";
            writer.Write(prefix + "rule", group.Rule.ToString());
            writer.Write(prefix + "params", (long)group.Parameters.Count);
            writer.Write(prefix + "lr", group.LearningRate);
            writer.Write(prefix + "initial_lr", group.InitialLearningRate);
            writer.Write(prefix + "weight_decay", group.WeightDecay);
            writer.Write(prefix + "momentum", group.Momentum);
            // The algorithm's group-level state (LAMB's step, Schedule-Free's weight_sum, ...), by name.
            SortedDictionary<string, double> groupState = optimizer.GroupStateOf(g);
            writer.Write(prefix + "state_names", string.Join(",", groupState.Keys));
            foreach ((string name, double value) in groupState)
            {
                writer.Write(prefix + "state." + name, value);
            }
        }
        writer.Write("buckets", (long)optimizer.Buckets.Count);
        using DisposeScope scope = torch.NewDisposeScope();
        for (int b = 0; b < optimizer.Buckets.Count; b++)
        {
            FlatBucket bucket = optimizer.Buckets[b];
            writer.Write($"buckets.{b}.dtype", bucket.DType.ToString());
            writer.Write($"buckets.{b}.numel", bucket.Numel);
            foreach (StateBuffer buffer in optimizer.StateLayout.Buffers)
            {
                if (bucket.State(buffer) is Tensor state)
                {
                    writer.Write($"buckets.{b}.{buffer.Name}", state);
                }
            }
        }
        foreach (Slot slot in optimizer.Slots)
        {
            string prefix = $"state.{slot.Index}.";
            writer.Write(prefix + "numel", slot.Numel);
            writer.Write(prefix + "step", slot.Steps);
            writer.Write(prefix + "initialized", slot.HasState);
        }
        writer.Finish();
    }

    /// <summary>Restores what <see cref="Save"/> wrote, after checking all of it fits <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer to restore.</param>
    /// <param name="stream">The checkpoint.</param>
    /// <param name="keepHyperparameters">
    /// Leave the groups' learning rates, weight decay and momentum as this optimizer has them (continuing a trained model's
    /// state under new settings) instead of taking the checkpoint's.
    /// </param>
    public static void Load(Optimizer optimizer, Stream stream, bool keepHyperparameters = false)
    {
        using var reader = new CheckpointReader(stream, CheckpointKind.Optimizer);
        string algorithm = reader.Header.Name;
        Expect(reader, algorithm == optimizer.AlgorithmName, $"the checkpoint is of {algorithm}, this optimizer is {optimizer.AlgorithmName}");
        string stateNames = reader.String("state_names");
        Expect(reader, stateNames == string.Join(",", optimizer.StateNames),
            $"the state layout differs (checkpoint: {stateNames}; this optimizer: {string.Join(",", optimizer.StateNames)})");
        Expect(reader, reader.Int64("param_groups") == optimizer.ParameterGroups.Count, "the number of parameter groups differs");

        // Check and read everything before changing anything, so a bad checkpoint leaves the optimizer as it was.
        var hyper = new (double lr, double initial, double wd, double momentum)[optimizer.ParameterGroups.Count];
        var groupStates = new List<(string Name, double Value)>[optimizer.ParameterGroups.Count];
        for (int g = 0; g < hyper.Length; g++)
        {
            LiveParameterGroup group = optimizer.ParameterGroups[g];
            string prefix = $"param_groups.{g}.";
            string rule = reader.String(prefix + "rule");
            Expect(reader, rule == group.Rule.ToString(), $"group {g} has rule {rule} in the checkpoint but {group.Rule} here");
            Expect(reader, reader.Int64(prefix + "params") == group.Parameters.Count, $"group {g} has a different number of parameters");
            groupStates[g] = new List<(string, double)>();
            string groupStateNames = reader.Contains(prefix + "state_names") ? reader.String(prefix + "state_names") : "";
            foreach (string name in groupStateNames.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                groupStates[g].Add((name, reader.Double(prefix + "state." + name)));
            }
            hyper[g] = (Hyper(reader, prefix + "lr"), Hyper(reader, prefix + "initial_lr"), Hyper(reader, prefix + "weight_decay"), Hyper(reader, prefix + "momentum"));
        }
        var perTensor = new (long steps, bool hasState)[optimizer.Slots.Count];
        for (int i = 0; i < perTensor.Length; i++)
        {
            Slot slot = optimizer.Slots[i];
            string prefix = $"state.{slot.Index}.";
            Expect(reader, reader.Int64(prefix + "numel") == slot.Numel, $"parameter #{slot.Index} has a different size");
            long steps = reader.Int64(prefix + "step");
            Expect(reader, steps >= 0, $"parameter #{slot.Index} has a negative step count");
            perTensor[i] = (steps, reader.Boolean(prefix + "initialized"));
        }
        Expect(reader, reader.Int64("buckets") == optimizer.Buckets.Count, "the parameters' types or devices differ");
        var states = new Tensor?[optimizer.Buckets.Count, optimizer.StateLayout.Buffers.Count];
        for (int b = 0; b < optimizer.Buckets.Count; b++)
        {
            FlatBucket bucket = optimizer.Buckets[b];
            Expect(reader, reader.String($"buckets.{b}.dtype") == bucket.DType.ToString(), $"parameter types differ (buffer {b})");
            Expect(reader, reader.Int64($"buckets.{b}.numel") == bucket.Numel, $"buffer {b} holds a different number of elements");
            foreach (StateBuffer buffer in optimizer.StateLayout.Buffers)
            {
                string name = $"buckets.{b}.{buffer.Name}";
                states[b, buffer.Index] = reader.Contains(name) ? reader.Tensor(name, bucket.DType, bucket.StateNumel(buffer)) : null;
            }
        }
        long stepCount = reader.Int64("step_count");
        Expect(reader, stepCount >= 0, "the step count is negative");

        using DisposeScope scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        for (int b = 0; b < optimizer.Buckets.Count; b++)
        {
            FlatBucket bucket = optimizer.Buckets[b];
            foreach (StateBuffer buffer in optimizer.StateLayout.Buffers)
            {
                if (states[b, buffer.Index] is Tensor source)
                {
                    bucket.EnsureState(buffer).copy_(source);
                }
                else
                {
                    bucket.State(buffer)?.zero_();
                }
            }
        }
        for (int i = 0; i < perTensor.Length; i++)
        {
            optimizer.Slots[i].Steps = perTensor[i].steps;
            optimizer.Slots[i].HasState = perTensor[i].hasState;
        }
        for (int g = 0; g < hyper.Length; g++)
        {
            LiveParameterGroup group = optimizer.ParameterGroups[g];
            if (!keepHyperparameters)
            {
                group.LearningRate = hyper[g].lr;
                group.InitialLearningRate = hyper[g].initial;
                group.WeightDecay = hyper[g].wd;
                group.Momentum = hyper[g].momentum;
            }
            SortedDictionary<string, double> groupState = optimizer.GroupStateOf(g);
            groupState.Clear();
            foreach ((string name, double value) in groupStates[g])
            {
                groupState[name] = value;
            }
        }
        optimizer.StepCount = stepCount;
    }

    private static double Hyper(CheckpointReader reader, string name)
    {
        double value = reader.Double(name);
        Expect(reader, double.IsFinite(value) && value >= 0, $"{name} is {value.ToString("R", CultureInfo.InvariantCulture)}");
        return value;
    }

    private static void Expect(CheckpointReader reader, bool condition, string what)
    {
        if (!condition)
        {
            throw reader.Mismatch(what);
        }
    }
}

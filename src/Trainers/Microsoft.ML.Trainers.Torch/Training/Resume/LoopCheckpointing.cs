using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Saves and restores everything a training run needs to continue bit for bit: the network's state (the bfloat16 working
/// copy under mixed precision), the float32 masters, the EMA, the best epoch's snapshot, the optimizers' and schedules'
/// state, and the loop's counters (<see cref="LoopState"/>). The loop decides when; this class decides what and checks that
/// a checkpoint belongs to this run (<see cref="RunFingerprint"/>) before anything is restored.
/// </summary>
internal sealed class LoopCheckpointing
{
    private readonly TorchTrainerOptions _options;
    private readonly CheckpointStore _store;
    private readonly SortedDictionary<string, string> _fingerprint;
    private readonly nn.Module _network;
    private readonly MixedPrecisionTraining? _mixed;
    private readonly ModelEma? _ema;
    private readonly LoopOptimizer _optimizer;
    private readonly int _stepsPerEpoch;

    public LoopCheckpointing(TorchTrainerOptions options, TorchClassificationModel model, ITrainingSet train, ITrainingSet? validation,
        MixedPrecisionTraining? mixed, ModelEma? ema, LoopOptimizer optimizer, int stepsPerEpoch)
    {
        _options = options;
        _store = new CheckpointStore(options.CheckpointFolder!, options.CheckpointsToKeep);
        _network = model.Network;
        _mixed = mixed;
        _ema = ema;
        _optimizer = optimizer;
        _stepsPerEpoch = stepsPerEpoch;
        _fingerprint = RunFingerprint.Of(options, DataEntries(model, train, validation, stepsPerEpoch));
    }

    /// <summary>True when a checkpoint is due after <paramref name="completedSteps"/> steps of epoch <paramref name="epoch"/>.</summary>
    public bool IsDue(int epoch, int completedSteps)
    {
        long globalStep = GlobalStep(epoch, completedSteps);
        return _options.CheckpointEveryUnit == CheckpointUnit.Steps
            ? globalStep % _options.CheckpointEvery == 0
            : completedSteps == _stepsPerEpoch && epoch % _options.CheckpointEvery == 0;
    }

    /// <summary>Writes a checkpoint of <paramref name="state"/> (its fingerprint is filled in) and returns its path.</summary>
    public string Save(LoopState state, IReadOnlyDictionary<string, Tensor>? best)
    {
        state.Fingerprint = _fingerprint;
        state.StepsPerEpoch = _stepsPerEpoch;
        state.OptimizerSteps = _optimizer.Steps;
        state.HessianRefreshes = _optimizer.HessianRefreshes;
        state.EmaUpdates = _ema?.Updates ?? 0;
        var entries = new List<(string, Action<Stream>)>
        {
            ("model", stream => WriteTensors(stream, _network.state_dict())),
        };
        if (_mixed != null)
        {
            entries.Add(("masters", stream => WriteOwned(stream, _mixed.Snapshot())));
        }
        if (_ema != null)
        {
            entries.Add(("ema", stream => WriteOwned(stream, _ema.Snapshot())));
        }
        if (best != null)
        {
            entries.Add(("best", stream => WriteTensors(stream, best)));
        }
        entries.AddRange(_optimizer.CheckpointEntries());
        return _store.Save(GlobalStep(state.Epoch, state.StepInEpoch), state, entries);
    }

    /// <summary>
    /// Restores the newest checkpoint of the folder, if any, and returns its counters and the best epoch's snapshot (owned
    /// by the caller); null when there is none. Throws naming the file when it belongs to other options or data, or is
    /// damaged; nothing is changed then.
    /// </summary>
    public (LoopState State, Dictionary<string, Tensor>? Best, string Path)? Resume(int trainCount)
    {
        if (_store.Latest() is not string path)
        {
            return null;
        }
        return TrainingCheckpointFile.Read(path, (state, open) =>
        {
            ThrowIfAnotherRun(_options, path, RunFingerprint.Differences(state.Fingerprint, _fingerprint));
            if (state.StepsPerEpoch != _stepsPerEpoch || state.Order.Length != trainCount || state.Epoch < 1 || state.Epoch > _options.Epochs
                || state.StepInEpoch < 0 || state.StepInEpoch > _stepsPerEpoch)
            {
                throw new InvalidDataException($"Training checkpoint '{path}' is corrupt: its position (epoch {state.Epoch}, step {state.StepInEpoch}) does not fit this run.");
            }
            Stream Open(string name) => open(name) ?? throw new InvalidDataException($"Training checkpoint '{path}' is corrupt: entry '{name}' is missing.");
            // Read every tensor before changing anything, so a bad entry leaves the model untouched.
            Dictionary<string, Tensor> model = TrainingCheckpointFile.ReadTensors(Open("model"), path, "model");
            Dictionary<string, Tensor>? masters = _mixed != null ? TrainingCheckpointFile.ReadTensors(Open("masters"), path, "masters") : null;
            Dictionary<string, Tensor>? ema = _ema != null ? TrainingCheckpointFile.ReadTensors(Open("ema"), path, "ema") : null;
            Dictionary<string, Tensor>? best = open("best") is Stream bestStream ? TrainingCheckpointFile.ReadTensors(bestStream, path, "best") : null;
            try
            {
                using (no_grad())
                {
                    foreach ((string name, Tensor value) in _network.state_dict())
                    {
                        if (!model.TryGetValue(name, out Tensor? saved) || !saved.shape.SequenceEqual(value.shape))
                        {
                            throw new InvalidDataException($"Training checkpoint '{path}' does not hold the network's '{name}' with shape [{string.Join(", ", value.shape)}].");
                        }
                        value.copy_(saved);
                    }
                }
                _mixed?.Restore(masters!);
                _ema?.Restore(ema!, state.EmaUpdates);
                _optimizer.Restore(Open, state.OptimizerSteps, state.HessianRefreshes);
            }
            catch
            {
                Dispose(best);
                throw;
            }
            finally
            {
                Dispose(model);
                Dispose(masters);
                Dispose(ema);
            }
            return ((LoopState, Dictionary<string, Tensor>?, string)?)(state, best, path);
        });
    }

    /// <summary>
    /// Checks the newest checkpoint of <paramref name="options"/>' folder, if any, before any data is read: every entry's
    /// hash, and the options it was written with (the data's part of the fingerprint needs the data and is compared when
    /// resuming). Throws naming the file; nothing is changed.
    /// </summary>
    public static void CheckBeforeReading(TorchTrainerOptions options)
    {
        if (new CheckpointStore(options.CheckpointFolder!, options.CheckpointsToKeep).Latest() is not string path)
        {
            return;
        }
        SortedDictionary<string, string> current = RunFingerprint.Of(options, Array.Empty<KeyValuePair<string, string>>());
        TrainingCheckpointFile.Read(path, (state, _) =>
        {
            ThrowIfAnotherRun(options, path, RunFingerprint.Differences(RunFingerprint.OptionsOnly(state.Fingerprint), current));
            return true;
        });
    }

    private static void ThrowIfAnotherRun(TorchTrainerOptions options, string path, IReadOnlyList<string> differences)
    {
        if (differences.Count > 0)
        {
            throw new InvalidOperationException(
                $"CheckpointFolder '{options.CheckpointFolder}' holds a checkpoint of another run ('{path}'): {string.Join("; ", differences)}. " +
                "Use another CheckpointFolder, or delete the folder's checkpoints to start afresh.");
        }
    }

    private long GlobalStep(int epoch, int completedSteps) => (long)(epoch - 1) * _stepsPerEpoch + completedSteps;

    private static IEnumerable<KeyValuePair<string, string>> DataEntries(TorchClassificationModel model, ITrainingSet train, ITrainingSet? validation, int stepsPerEpoch)
    {
        // FNV-1a over the training labels in order: cheap, and catches other data of the same size.
        ulong hash = 14695981039346656037UL;
        for (int i = 0; i < train.Count; i++)
        {
            hash = (hash ^ (ulong)train.GetLabel(i)) * 1099511628211UL;
        }
        yield return new("training_rows", train.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("training_labels_hash", hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
        yield return new("validation_rows", (validation?.Count ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("classes", model.ClassCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("steps_per_epoch", stepsPerEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("network_state", Fnv(string.Join(";", model.Network.state_dict().Select(p => $"{p.Key}[{string.Join("x", p.Value.shape)}]"))));
    }

    private static string Fnv(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void WriteTensors(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        using var scope = NewDisposeScope();
        TrainingCheckpointFile.Tensors(tensors)(stream);
    }

    private static void WriteOwned(Stream stream, Dictionary<string, Tensor> tensors)
    {
        try
        {
            WriteTensors(stream, tensors);
        }
        finally
        {
            Dispose(tensors);
        }
    }

    private static void Dispose(Dictionary<string, Tensor>? tensors)
    {
        foreach (Tensor t in tensors?.Values ?? Enumerable.Empty<Tensor>())
        {
            t.Dispose();
        }
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.Optimizers;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The inner TorchSharp loop shared by the trainers: shuffled mini-batches, cross-entropy, the
/// optimizer chosen in the options with its schedule and clipping, per-epoch validation, early stopping
/// with restore of the best epoch, progress reporting and cancellation.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly IHostEnvironment _env;
    private readonly IChannel _channel;
    private readonly TorchTrainerOptions _options;
    private MixedPrecisionTraining? _mixed;

    private readonly double _sparseLearningRate;

    /// <param name="env">Cancellation and progress.</param>
    /// <param name="channel">Log messages.</param>
    /// <param name="options">The loop's settings.</param>
    /// <param name="sparseLearningRate">
    /// The base SGD rate of the model's sparse-gradient parameters, if it has any: they form a sparse-SGD group of the
    /// same optimizer.
    /// </param>
    public TrainingLoop(IHostEnvironment env, IChannel channel, TorchTrainerOptions options, double sparseLearningRate = 0)
    {
        _env = env;
        _channel = channel;
        _options = options;
        _sparseLearningRate = sparseLearningRate;
    }

    public IReadOnlyList<EpochMetrics> Run(TorchClassificationModel model, ITrainingSet train, ITrainingSet? validation, Device device)
    {
        model.MoveTo(device);
        var trainable = model.Network.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var sparseNames = model.SparseGradientParameterNames;
        var named = trainable.Where(p => !sparseNames.Contains(p.name)).ToList();
        var sparse = trainable.Where(p => sparseNames.Contains(p.name)).Select(p => p.parameter).ToList();
        if (named.Count == 0)
        {
            throw new InvalidOperationException("The model has no trainable parameters (is everything frozen?).");
        }
        if (sparse.Count > 0 && !(double.IsFinite(_sparseLearningRate) && _sparseLearningRate > 0))
        {
            throw new ArgumentOutOfRangeException("sparseLearningRate", _sparseLearningRate,
                $"The learning rate of sparse-gradient parameters must be positive (was {_sparseLearningRate}).");
        }
        if (sparse.Count > 0 && _options.Precision != TrainingPrecision.Float32)
        {
            throw new NotSupportedException($"Precision {_options.Precision} does not support models with sparse-gradient parameters; use Float32.");
        }
        // Declared before the optimizer so that it is disposed after it: the optimizer holds the float32 masters.
        using MixedPrecisionTraining? mixed = _options.Precision == TrainingPrecision.MixedBFloat16 ? new MixedPrecisionTraining(model.Network, named) : null;
        _mixed = mixed;
        named = mixed?.OptimizedParameters ?? named;
        var groups = new List<ParameterGroup>(_options.NoWeightDecayForBiasAndNorm
            ? ParameterGroup.SplitNoDecay(named)
            : new[] { new ParameterGroup(named.Select(p => p.parameter)) });
        if (sparse.Count > 0)
        {
            // Last, so that group 0 (whose rate the log shows) stays a dense group; the scheduler scales this group's
            // base rate like the others'.
            groups.Add(ParameterGroup.SparseSgd(sparse, _sparseLearningRate));
        }

        int microBatchSize = Math.Min(_options.BatchSize, train.Count);
        // The examples of one optimizer step: GradientAccumulationSteps micro-batches.
        int batchSize = (int)Math.Min((long)microBatchSize * _options.GradientAccumulationSteps, train.Count);
        // A last batch of one example would break BatchNorm in train mode; it joins the next epoch instead.
        int stepsPerEpoch = train.Count / batchSize + (train.Count % batchSize > 1 ? 1 : 0);
        long totalSteps = (long)stepsPerEpoch * _options.Epochs;

        using Optimizer optimizer = _options.Optimizer.Create(groups);
        Microsoft.ML.Optimizers.LearningRateScheduler? scheduler = _options.Schedule?.Create(optimizer, totalSteps);
        using var freezing = new BackboneFreezing(model, _options.FreezeBackboneEpochs);
        using ModelEma? ema = _options.EmaDecay is double decay ? ApplyEma(model, null, decay) : null;
        var random = new Random(_options.Seed);
        var history = new List<EpochMetrics>();
        IProgressChannel? progress = (_env as IProgressChannelProvider)?.StartProgressChannel("Training");
        progress?.SetHeader(new ProgressHeader(new[] { "loss", "accuracy", "val_loss", "val_accuracy", "lr" }, new[] { "epochs" }), null);

        Dictionary<string, Tensor>? best = null;
        double bestAccuracy = double.NegativeInfinity, bestLoss = double.PositiveInfinity;
        int bestEpoch = 0, epochsWithoutImprovement = 0;
        try
        {
            int[] order = Enumerable.Range(0, train.Count).ToArray();
            for (int epoch = 1; epoch <= _options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                if (_options.Shuffle)
                {
                    random.Shuffle(order);
                }
                freezing.Apply(epoch);
                (double loss, double accuracy, int seen) = TrainEpoch(model, train, order, batchSize, microBatchSize, stepsPerEpoch, optimizer, scheduler, ema, random, epoch, freezing.IsFrozen(epoch));
                double trainSeconds = clock.Elapsed.TotalSeconds;
                (double Loss, double Accuracy)? val = validation != null ? EvaluateWithEma(model, validation, ema) : null;
                var metrics = new EpochMetrics(epoch, loss, accuracy, val?.Loss, val?.Accuracy, optimizer.LearningRate,
                    clock.Elapsed.TotalSeconds, seen / Math.Max(trainSeconds, 1e-9));
                history.Add(metrics);
                _channel.Info(MessageSensitivity.None, metrics.ToString());
                progress?.Checkpoint(metrics.TrainLoss, metrics.TrainAccuracy, metrics.ValidationLoss, metrics.ValidationAccuracy, metrics.LearningRate, epoch);
                _options.EpochCallback?.Invoke(metrics);
                _options.EpochModelCallback?.Invoke(metrics, model);

                if (val is (double valLoss, double valAccuracy))
                {
                    if (valAccuracy > bestAccuracy || (valAccuracy == bestAccuracy && valLoss < bestLoss))
                    {
                        bestAccuracy = valAccuracy;
                        bestLoss = valLoss;
                        bestEpoch = epoch;
                        epochsWithoutImprovement = 0;
                        if (_options.RestoreBestEpoch && epoch < _options.Epochs)
                        {
                            DisposeAll(best);
                            best = ema?.Snapshot() ?? mixed?.Snapshot() ?? Snapshot(model.Network);
                        }
                        else
                        {
                            DisposeAll(best);
                            best = null;
                        }
                    }
                    else if (_options.EarlyStoppingPatience is int patience && ++epochsWithoutImprovement >= patience)
                    {
                        _channel.Info(MessageSensitivity.None, $"Early stopping after epoch {epoch}: no better validation accuracy for {patience} epoch(s).");
                        break;
                    }
                }
            }
            // The float32 network must be back before the best epoch's float32 weights are restored into it.
            mixed?.Finish();
            // With an EMA the trained model is the average (replaced below by the best epoch's average if that is earlier).
            ema?.CopyTo(model.Network);
            if (best != null && bestEpoch != history.Count)
            {
                _channel.Info(MessageSensitivity.None, $"Restoring the weights of epoch {bestEpoch} (validation accuracy {bestAccuracy:F4}).");
                Restore(model.Network, best);
            }
        }
        finally
        {
            DisposeAll(best);
            progress?.Dispose();
        }
        return history;
    }

    private (double Loss, double Accuracy, int Seen) TrainEpoch(TorchClassificationModel model, ITrainingSet train, int[] order, int batchSize,
        int microBatchSize, int steps, Optimizer optimizer, Microsoft.ML.Optimizers.LearningRateScheduler? scheduler, ModelEma? ema, Random random, int epoch,
        bool backboneFrozen)
    {
        model.Network.train();
        double lossSum = 0;
        long correct = 0;
        int seen = 0;
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
        {
            MLNetBridge.ThrowIfCanceled(_env);
            int start = step * batchSize;
            ReadOnlySpan<int> indices = order.AsSpan(start, Math.Min(batchSize, order.Length - start));
            // Frozen parameters must have no gradient (not a zero one) for the optimizer to skip them.
            optimizer.ZeroGrad(setToNone: backboneFrozen);
            foreach ((int microStart, int microLength) in GradientAccumulation.Split(indices.Length, microBatchSize))
            {
                using var microScope = NewDisposeScope();
                ReadOnlySpan<int> micro = indices.Slice(microStart, microLength);
                Tensor labels = Labels(train, micro, model.Device);
                Tensor logits = model.Forward(ToDevice(train.Collate(micro, augment: true, random), model.Device)).to(ScalarType.Float32);
                Tensor loss = nn.functional.cross_entropy(logits, labels, label_smoothing: _options.LabelSmoothing);
                if (microLength == indices.Length)
                {
                    loss.backward();
                }
                else
                {
                    // Weighted so that the accumulated gradient is the whole batch's mean, even for a short last batch.
                    using Scalar weight = GradientAccumulation.LossWeight(microLength, indices.Length).ToScalar();
                    loss.mul(weight).backward();
                }
                lossSum += loss.item<float>() * (double)microLength;
                correct += logits.argmax(1).eq(labels).sum().item<long>();
                seen += microLength;
            }
            using var scope = NewDisposeScope();
            _mixed?.CopyGradientsToMasters();
            if (_options.GradientClipNorm is double clip)
            {
                optimizer.ClipGradNorm(clip);
            }
            optimizer.Step();
            _mixed?.CopyMastersToWorking();
            scheduler?.Step();
            if (ema != null)
            {
                ApplyEma(model, ema, 0);
            }
            if (_options.LogEveryNSteps > 0 && (step + 1) % _options.LogEveryNSteps == 0)
            {
                _channel.Info(MessageSensitivity.None,
                    $"epoch {epoch} step {step + 1}/{steps}: loss={lossSum / seen:F4} lr={optimizer.LearningRate:G4} examples/s={seen / clock.Elapsed.TotalSeconds:F0}");
            }
        }
        return (lossSum / Math.Max(seen, 1), correct / (double)Math.Max(seen, 1), seen);
    }

    /// <summary>
    /// Starts (<paramref name="ema"/> null) or updates the EMA from the state it averages: the network's, or under
    /// mixed precision the float32 masters, so the average never sees bfloat16-rounded weights.
    /// </summary>
    private ModelEma? ApplyEma(TorchClassificationModel model, ModelEma? ema, double decay)
    {
        Dictionary<string, Tensor>? masters = _mixed?.Snapshot();
        try
        {
            IEnumerable<(string, Tensor)> state = masters != null
                ? masters.Select(p => (p.Key, p.Value))
                : model.Network.state_dict().Select(p => (p.Key, p.Value));
            if (ema == null)
            {
                return new ModelEma(state, decay, _options.EmaWarmup);
            }
            ema.Update(state);
            return ema;
        }
        finally
        {
            DisposeAll(masters);
        }
    }

    /// <summary><see cref="Evaluate"/> with the EMA's weights when there is one, the training weights restored afterwards.</summary>
    private (double Loss, double Accuracy) EvaluateWithEma(TorchClassificationModel model, ITrainingSet data, ModelEma? ema)
    {
        if (ema == null)
        {
            return Evaluate(model, data);
        }
        Dictionary<string, Tensor> training = Snapshot(model.Network);
        try
        {
            ema.CopyTo(model.Network);
            return Evaluate(model, data);
        }
        finally
        {
            Restore(model.Network, training);
            DisposeAll(training);
        }
    }

    /// <summary>Mean cross-entropy and accuracy in eval mode.</summary>
    public (double Loss, double Accuracy) Evaluate(TorchClassificationModel model, ITrainingSet data)
    {
        model.Network.eval();
        using var noGrad = no_grad();
        double lossSum = 0;
        long correct = 0;
        int batchSize = Math.Max(_options.ScoringBatchSize, 1);
        int[] all = Enumerable.Range(0, data.Count).ToArray();
        var unused = new Random(0);
        for (int start = 0; start < data.Count; start += batchSize)
        {
            MLNetBridge.ThrowIfCanceled(_env);
            ReadOnlySpan<int> indices = all.AsSpan(start, Math.Min(batchSize, data.Count - start));
            using var scope = NewDisposeScope();
            Tensor labels = Labels(data, indices, model.Device);
            Tensor logits = model.Forward(ToDevice(data.Collate(indices, augment: false, unused), model.Device)).to(ScalarType.Float32);
            lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).to(ScalarType.Float64).item<double>();
            correct += logits.argmax(1).eq(labels).sum().item<long>();
        }
        return (lossSum / data.Count, correct / (double)data.Count);
    }

    private static Tensor Labels(ITrainingSet set, ReadOnlySpan<int> indices, Device device)
    {
        long[] labels = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            labels[i] = set.GetLabel(indices[i]);
        }
        return tensor(labels, device: device);
    }

    private IReadOnlyList<Tensor> ToDevice(IReadOnlyList<Tensor> inputs, Device device)
    {
        IReadOnlyList<Tensor> onDevice = inputs.Select(t => t.device == device ? t : t.to(device)).ToArray();
        return _mixed?.CastInputs(onDevice) ?? onDevice;
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module network)
    {
        var copy = new Dictionary<string, Tensor>();
        foreach (var (name, value) in network.state_dict())
        {
            copy[name] = value.detach().clone().DetachFromDisposeScope();
        }
        return copy;
    }

    private static void Restore(nn.Module network, Dictionary<string, Tensor> saved)
    {
        using var noGrad = no_grad();
        // copy_ keeps the parameters' storage, which the optimizer may alias.
        foreach (var (name, value) in network.state_dict())
        {
            value.copy_(saved[name]);
        }
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors == null)
        {
            return;
        }
        foreach (Tensor t in tensors.Values)
        {
            t.Dispose();
        }
        tensors.Clear();
    }
}

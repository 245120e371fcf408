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
    // The dense parameters the optimizer updates (float32 masters under mixed precision): their gradients are the
    // ones checked for finiteness in skip mode, and they are checked after every epoch.
    private IReadOnlyList<Tensor> _optimized = Array.Empty<Tensor>();
    private int _skippedInRun;

    private readonly double _sparseLearningRate;

    // Enough batches for stable BatchNorm statistics (the Schedule-Free authors use about 50), cheap next to training.
    private const int BatchNormRefreshBatches = 50;

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

    /// <summary>The optimizer state after the last <see cref="Run"/>, when <see cref="TorchTrainerOptions.SaveOptimizerState"/> is on.</summary>
    public TrainedOptimizerState? FinalOptimizerState { get; private set; }

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
        _optimized = named.Select(p => (Tensor)p.parameter).Concat(sparse).ToList();
        _skippedInRun = 0;

        (int microBatchSize, int batchSize, int stepsPerEpoch) = Batching(_options, train.Count);
        long totalSteps = (long)stepsPerEpoch * _options.Epochs;

        using LoopOptimizer optimizer = LoopOptimizer.Create(_options, model, named, sparse, _sparseLearningRate, batchSize, totalSteps);
        FinalOptimizerState = null;
        if (_options.ContinueWithOptimizerState && _options.ContinueFrom?.OptimizerState is TrainedOptimizerState continued)
        {
            // Before any checkpoint is restored: a resumed run's checkpoint already holds the state this one started from.
            optimizer.ContinueFrom(continued);
            _channel.Info(MessageSensitivity.None, "Continuing from the optimizer state of the given model.");
        }
        using var freezing = new BackboneFreezing(model, _options.FreezeBackboneEpochs);
        using ModelEma? ema = _options.EmaDecay is double decay ? ApplyEma(model, null, decay) : null;
        var streams = new RandomStreams(_options.Seed);
        // Dropout and sampling draw from this fit's generator (on the training device), never the process-wide one (see TrainingGenerator).
        using var generator = new Generator((ulong)_options.Seed, device);
        using TrainingGenerator.Scope generatorScope = TrainingGenerator.Use(generator);
        var history = new List<EpochMetrics>();
        IProgressChannel? progress = (_env as IProgressChannelProvider)?.StartProgressChannel("Training");
        progress?.SetHeader(new ProgressHeader(new[] { "loss", "accuracy", "val_loss", "val_accuracy", "lr" }, new[] { "epochs" }), null);

        Dictionary<string, Tensor>? best = null;
        double bestScore = double.NegativeInfinity, bestLoss = double.PositiveInfinity;
        int bestEpoch = 0, epochsWithoutImprovement = 0;
        LoopCheckpointing? checkpointing = _options.CheckpointFolder != null
            ? new LoopCheckpointing(_options, model, train, validation, mixed, ema, optimizer, stepsPerEpoch)
            : null;
        try
        {
            int[] order = Enumerable.Range(0, train.Count).ToArray();
            int startEpoch = 1, startStep = 0;
            (double LossSum, long Correct, int Seen, int Skipped) resumedSums = default;
            if (checkpointing?.Resume(train.Count) is (LoopState state, var savedBest, string path))
            {
                (startEpoch, startStep, order) = (state.Epoch, state.StepInEpoch, state.Order);
                resumedSums = (state.LossSum, state.Correct, state.Seen, state.Skipped);
                _skippedInRun = state.SkippedInRun;
                (bestScore, bestLoss, bestEpoch, epochsWithoutImprovement) = (state.BestScore, state.BestLoss, state.BestEpoch, state.EpochsWithoutImprovement);
                best = savedBest;
                history.AddRange(state.History);
                _channel.Info(MessageSensitivity.None, $"Resuming from checkpoint '{path}': epoch {state.Epoch}, {state.StepInEpoch} of {stepsPerEpoch} steps done.");
            }

            // Saves a checkpoint when one is due after a completed step; the closure sees the loop's current counters.
            void AfterStep(int epoch, int completedSteps, (double LossSum, long Correct, int Seen, int Skipped) sums)
            {
                if (checkpointing == null || !checkpointing.IsDue(epoch, completedSteps))
                {
                    return;
                }
                string saved = checkpointing.Save(new LoopState
                {
                    Epoch = epoch, StepInEpoch = completedSteps, Order = order, LossSum = sums.LossSum, Correct = sums.Correct, Seen = sums.Seen,
                    Skipped = sums.Skipped, SkippedInRun = _skippedInRun, BestScore = bestScore, BestLoss = bestLoss, BestEpoch = bestEpoch,
                    EpochsWithoutImprovement = epochsWithoutImprovement, History = history.ToList(),
                }, best);
                _channel.Trace(MessageSensitivity.None, $"Saved checkpoint '{saved}'.");
            }

            for (int epoch = startEpoch; epoch <= _options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                Random random = streams.Shuffle(epoch);
                bool resuming = epoch == startEpoch && startStep > 0;
                if (_options.Shuffle && !resuming)
                {
                    // Each epoch's order depends on the seed and the epoch only, so a resumed run can recompute it.
                    for (int i = 0; i < order.Length; i++)
                    {
                        order[i] = i;
                    }
                    random.Shuffle(order);
                }
                if (!resuming)
                {
                    // A resumed epoch keeps the order its checkpoint saved, already arranged.
                    train.ArrangeEpoch(order, batchSize, random);
                }
                freezing.Apply(epoch);
                UseTrainingPoint(optimizer);
                (double loss, double accuracy, int seen, int skipped) = TrainEpoch(model, train, order, batchSize, microBatchSize, stepsPerEpoch,
                    optimizer, ema, streams, generator, epoch, freezing.IsFrozen(epoch), resuming ? startStep : 0, resuming ? resumedSums : default, AfterStep);
                double trainSeconds = clock.Elapsed.TotalSeconds;
                // Validation, callbacks and the best-epoch snapshot see the weights the model would be saved with.
                UseEvaluationPoint(optimizer);
                (double Loss, double Accuracy, double MacroAccuracy)? val = validation != null ? EvaluateWithEma(model, validation, ema) : null;
                // Evaluate collates without augmentation: the clean counterpart of the augmented training metrics.
                (double Loss, double Accuracy, double MacroAccuracy)? clean = _options.CleanTrainAccuracy ? EvaluateWithEma(model, train, ema) : null;
                var metrics = new EpochMetrics(epoch, loss, accuracy, val?.Loss, val?.Accuracy, optimizer.LearningRate,
                    clock.Elapsed.TotalSeconds, seen / Math.Max(trainSeconds, 1e-9))
                {
                    SkippedSteps = skipped, ValidationMacroAccuracy = val?.MacroAccuracy, TrainBatchesAugmented = train.Augments,
                    CleanTrainLoss = clean?.Loss, CleanTrainAccuracy = clean?.Accuracy,
                };
                history.Add(metrics);
                _channel.Info(MessageSensitivity.None, metrics.ToString());
                progress?.Checkpoint(metrics.TrainLoss, metrics.TrainAccuracy, metrics.ValidationLoss, metrics.ValidationAccuracy, metrics.LearningRate, epoch);
                _options.EpochCallback?.Invoke(metrics);
                _options.EpochModelCallback?.Invoke(metrics, model);

                if (val is (double valLoss, double valAccuracy, double valMacroAccuracy))
                {
                    // Higher is better; log-loss is negated so one comparison serves all three metrics.
                    double score = _options.BestEpochMetric switch
                    {
                        BestEpochMetric.LogLoss => -valLoss,
                        BestEpochMetric.MacroAccuracy => valMacroAccuracy,
                        _ => valAccuracy,
                    };
                    if (score > bestScore || (score == bestScore && valLoss < bestLoss))
                    {
                        bestScore = score;
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
                        _channel.Info(MessageSensitivity.None, $"Early stopping after epoch {epoch}: no better validation {_options.BestEpochMetric} for {patience} epoch(s).");
                        break;
                    }
                }
            }
            // The model ends at the evaluation point (Schedule-Free's averaged weights); the float32 network must be
            // back before the best epoch's float32 weights are restored into it.
            UseEvaluationPoint(optimizer);
            if (_options.SaveOptimizerState)
            {
                // At the evaluation point, the point the model is saved at (Schedule-Free records which one it is).
                FinalOptimizerState = TrainedOptimizerState.Capture(_options, optimizer);
            }
            mixed?.Finish();
            // With an EMA the trained model is the average (replaced below by the best epoch's average if that is earlier).
            ema?.CopyTo(model.Network);
            if (best != null && bestEpoch != history.Count)
            {
                _channel.Info(MessageSensitivity.None, $"Restoring the weights of epoch {bestEpoch} (validation {_options.BestEpochMetric} {Math.Abs(bestScore):F4}).");
                Restore(model.Network, best);
            }
            if (optimizer.HessianRefreshes > 0)
            {
                _channel.Info(MessageSensitivity.None,
                    $"SophiaG: refreshed the Hessian estimate {optimizer.HessianRefreshes} times (every {((SophiaOptions)_options.Optimizer).HessianUpdateInterval} steps).");
            }
            if (optimizer.HasEvaluationPoint && history.Count > 0 && BatchNormRefresh.Applies(model.Network))
            {
                int refreshed = BatchNormRefresh.Run(model.Network, RefreshBatches(model, train, order, microBatchSize, train.Count / microBatchSize, streams.Refresh()));
                _channel.Info(MessageSensitivity.None, $"Recomputed BatchNorm statistics at the evaluation point over {refreshed} training batch(es).");
            }
        }
        finally
        {
            DisposeAll(best);
            progress?.Dispose();
        }
        return history;
    }

    /// <summary>
    /// The micro-batch size, the examples of one optimizer step (<see cref="TorchTrainerOptions.GradientAccumulationSteps"/>
    /// micro-batches) and the optimizer steps per epoch for <paramref name="count"/> training rows.
    /// </summary>
    internal static (int MicroBatchSize, int BatchSize, int StepsPerEpoch) Batching(TorchTrainerOptions options, int count)
    {
        int microBatchSize = Math.Min(options.BatchSize, count);
        int batchSize = (int)Math.Min((long)microBatchSize * options.GradientAccumulationSteps, count);
        // A last batch of one example would break BatchNorm in train mode; it joins the next epoch instead.
        return (microBatchSize, batchSize, count / batchSize + (count % batchSize > 1 ? 1 : 0));
    }

    private (double Loss, double Accuracy, int Seen, int Skipped) TrainEpoch(TorchClassificationModel model, ITrainingSet train, int[] order,
        int batchSize, int microBatchSize, int steps, LoopOptimizer optimizer, ModelEma? ema, RandomStreams streams, Generator generator, int epoch,
        bool backboneFrozen, int startStep, (double LossSum, long Correct, int Seen, int Skipped) sums,
        Action<int, int, (double, long, int, int)> afterStep)
    {
        model.Network.train();
        // A resumed epoch starts at its checkpoint's step with the sums so far.
        (double lossSum, long correct, int seen, int skipped) = sums;
        double lastLoss = double.NaN;
        var clock = Stopwatch.StartNew();
        for (int step = startStep; step < steps; step++)
        {
            if (step > startStep)
            {
                afterStep(epoch, step, (lossSum, correct, seen, skipped));
            }
            MLNetBridge.ThrowIfCanceled(_env);
            int start = step * batchSize;
            ReadOnlySpan<int> indices = order.AsSpan(start, Math.Min(batchSize, order.Length - start));
            using var scope = NewDisposeScope();
            // Every step's draws are a function of (seed, epoch, step), whatever ran before in this process.
            Random random = streams.Augment(epoch, step);
            generator.manual_seed(streams.TorchSeed(epoch, step));
            // Frozen parameters must have no gradient (not a zero one) for the optimizer to skip them.
            optimizer.ZeroGrad(setToNone: backboneFrozen);
            double stepLoss = 0;
            long stepCorrect = 0;
            IReadOnlyList<Tensor>? hessianInputs = null;
            foreach ((int microStart, int microLength) in GradientAccumulation.Split(indices.Length, microBatchSize))
            {
                using var microScope = NewDisposeScope();
                ReadOnlySpan<int> micro = indices.Slice(microStart, microLength);
                Tensor labels = Labels(train, micro, model.Device);
                IReadOnlyList<Tensor> inputs = ToDevice(train.Collate(micro, augment: true, random), model.Device);
                // Mixed batches (mixup, CutMix) bring soft targets, which already carry any label smoothing.
                MixedBatch? mixed = train.Mix(inputs, labels, model.ClassCount, random);
                Tensor logits = model.Forward(mixed?.Inputs ?? inputs).to(ScalarType.Float32);
                Tensor loss = mixed?.Loss(logits) ?? nn.functional.cross_entropy(logits, labels, label_smoothing: _options.LabelSmoothing);
                // The loop reads the loss every micro-batch anyway; reading it before the update lets a non-finite one
                // stop (or skip) the step before it poisons the weights.
                double microLoss = loss.item<float>();
                stepLoss += microLoss * microLength;
                if (!double.IsFinite(microLoss))
                {
                    break;
                }
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
                stepCorrect += logits.argmax(1).eq(labels).sum().item<long>();
                if (optimizer.HessianDueAfterStep)
                {
                    // SophiaG's estimate after this step is taken on the step's last micro-batch.
                    hessianInputs = inputs.Select(t => t.MoveToOuterDisposeScope()).ToList();
                }
            }
            double lossValue = stepLoss / indices.Length;
            lastLoss = lossValue;
            if (!double.IsFinite(lossValue))
            {
                SkipOrThrow(epoch, step + 1, lossValue, optimizer.LearningRate, null, "the loss is not finite", ref skipped, optimizer);
                continue;
            }
            _mixed?.CopyGradientsToMasters();
            // A finite loss can still bring non-finite gradients (an overflow in backward): the norm, one reduction next
            // to the forward and backward passes, stops such a step before it reaches the weights.
            // Without GradientClipNorm an infinite bound only measures (over the optimizer's flat gradient buffers).
            double gradientNorm = optimizer.ClipGradNorm(_options.GradientClipNorm ?? double.PositiveInfinity);
            if (!double.IsFinite(gradientNorm))
            {
                SkipOrThrow(epoch, step + 1, lossValue, optimizer.LearningRate, gradientNorm, "the gradient norm is not finite", ref skipped, optimizer);
                continue;
            }
            optimizer.Step();
            _mixed?.CopyMastersToWorking();
            if (optimizer.HessianDue)
            {
                optimizer.RefreshHessian(() => model.Forward(hessianInputs!), _mixed is null ? null : _mixed.CopyGradientsToMasters);
            }
            if (ema != null)
            {
                ApplyEma(model, ema, 0);
            }
            lossSum += stepLoss;
            correct += stepCorrect;
            seen += indices.Length;
            if (_options.LogEveryNSteps > 0 && (step + 1) % _options.LogEveryNSteps == 0)
            {
                _channel.Info(MessageSensitivity.None,
                    $"epoch {epoch} step {step + 1}/{steps}: loss={lossSum / seen:F4} lr={optimizer.LearningRate:G4} examples/s={seen / clock.Elapsed.TotalSeconds:F0}");
            }
        }
        if (steps > startStep)
        {
            afterStep(epoch, steps, (lossSum, correct, seen, skipped));
        }
        // Finite gradients can still step the weights to non-finite values (a huge rate); the next step's loss shows
        // it, and after the last step there is none, so the weights are checked once per epoch (one sync).
        if (!AllFinite(_optimized))
        {
            throw new TrainingDivergedException(epoch, steps, lastLoss, optimizer.LearningRate, null, "the weights are not finite after the epoch's last step");
        }
        if (seen == 0)
        {
            throw new TrainingDivergedException(epoch, steps, lastLoss, optimizer.LearningRate, null, "every step of the epoch was skipped");
        }
        return (lossSum / seen, correct / (double)seen, seen, skipped);
    }

    /// <summary>Skips a non-finite step in skip mode (within <see cref="TorchTrainerOptions.MaxSkippedSteps"/>), else throws.</summary>
    private void SkipOrThrow(int epoch, int step, double loss, double learningRate, double? gradientNorm, string reason, ref int skipped,
        LoopOptimizer optimizer)
    {
        if (!_options.SkipNonFiniteSteps)
        {
            throw new TrainingDivergedException(epoch, step, loss, learningRate, gradientNorm, reason);
        }
        if (++_skippedInRun > _options.MaxSkippedSteps)
        {
            throw new TrainingDivergedException(epoch, step, loss, learningRate, gradientNorm,
                $"{reason}, and {_skippedInRun} steps were skipped (MaxSkippedSteps is {_options.MaxSkippedSteps})");
        }
        skipped++;
        _channel.Warning(MessageSensitivity.None, $"epoch {epoch} step {step}: {reason} (loss={loss:G6}); step skipped.");
        optimizer.SkipStep();
    }

    private static bool AllFinite(IReadOnlyList<Tensor> tensors)
    {
        using var scope = NewDisposeScope();
        Tensor[] finite = tensors.Where(t => !t.is_sparse).Select(t => isfinite(t.detach()).all()).ToArray();
        return finite.Length == 0 || stack(finite).all().item<bool>();
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
                : ModuleState.Unique(model.Network);
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
    private (double Loss, double Accuracy, double MacroAccuracy) EvaluateWithEma(TorchClassificationModel model, ITrainingSet data, ModelEma? ema)
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

    /// <summary>Mean cross-entropy, accuracy and macro-accuracy (mean recall over the classes present) in eval mode.</summary>
    public (double Loss, double Accuracy, double MacroAccuracy) Evaluate(TorchClassificationModel model, ITrainingSet data)
    {
        model.Network.eval();
        using var noGrad = no_grad();
        double lossSum = 0;
        long correct = 0;
        int batchSize = Math.Max(_options.ScoringBatchSize, 1);
        int[] all = Enumerable.Range(0, data.Count).ToArray();
        var unused = new Random(0);
        var perClassTotal = new long[model.ClassCount];
        var perClassCorrect = new long[model.ClassCount];
        for (int start = 0; start < data.Count; start += batchSize)
        {
            MLNetBridge.ThrowIfCanceled(_env);
            ReadOnlySpan<int> indices = all.AsSpan(start, Math.Min(batchSize, data.Count - start));
            using var scope = NewDisposeScope();
            Tensor labels = Labels(data, indices, model.Device);
            Tensor logits = model.EvaluationForward(ToDevice(data.Collate(indices, augment: false, unused), model.Device)).to(ScalarType.Float32);
            lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).to(ScalarType.Float64).item<double>();
            Tensor hits = logits.argmax(1).eq(labels);
            correct += hits.sum().item<long>();
            // Two small bincounts per batch: per-class totals and per-class hits, read in one transfer each.
            long[] total = labels.bincount(null, model.ClassCount).cpu().data<long>().ToArray();
            long[] right = labels.masked_select(hits).bincount(null, model.ClassCount).cpu().data<long>().ToArray();
            for (int c = 0; c < model.ClassCount; c++)
            {
                perClassTotal[c] += total[c];
                perClassCorrect[c] += right[c];
            }
        }
        // ML.NET's macro-accuracy averages the recall of the classes that occur in the data.
        int present = perClassTotal.Count(t => t > 0);
        double macro = present == 0 ? 0 : Enumerable.Range(0, model.ClassCount).Where(c => perClassTotal[c] > 0)
            .Sum(c => perClassCorrect[c] / (double)perClassTotal[c]) / present;
        return (lossSum / data.Count, correct / (double)data.Count, macro);
    }

    private void UseEvaluationPoint(LoopOptimizer optimizer)
    {
        optimizer.UseEvaluationPoint();
        _mixed?.CopyMastersToWorking();
    }

    private void UseTrainingPoint(LoopOptimizer optimizer)
    {
        optimizer.UseTrainingPoint();
        _mixed?.CopyMastersToWorking();
    }

    /// <summary>Forward passes over up to <see cref="BatchNormRefreshBatches"/> training batches (augmented, as in training).</summary>
    private IEnumerable<Action> RefreshBatches(TorchClassificationModel model, ITrainingSet train, int[] order, int batchSize, int steps, Random random)
    {
        for (int step = 0; step < Math.Min(steps, BatchNormRefreshBatches); step++)
        {
            int start = step * batchSize;
            int[] indices = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            yield return () =>
            {
                MLNetBridge.ThrowIfCanceled(_env);
                model.Forward(ToDevice(train.Collate(indices, augment: true, random), model.Device));
            };
        }
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
        foreach (var (name, value) in ModuleState.Unique(network))
        {
            copy[name] = value.detach().clone().DetachFromDisposeScope();
        }
        return copy;
    }

    private static void Restore(nn.Module network, Dictionary<string, Tensor> saved)
    {
        using var noGrad = no_grad();
        // copy_ keeps the parameters' storage, which the optimizer may alias.
        foreach (var (name, value) in ModuleState.Unique(network))
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

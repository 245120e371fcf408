using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using OptimizerOptions = Microsoft.ML.Optimizers.OptimizerOptions;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The optimizer as the training loop drives it, whatever the options chose: builds the parameter groups (weight-decay
/// split, fastText's sparse-SGD group, Muon's AdamW fallback for non-matrix parameters), steps the optimizer(s) with
/// their schedule and global gradient clipping, refreshes SophiaG's Hessian estimate every k steps, and moves the
/// parameters to the evaluation point (Schedule-Free AdamW) for validation, snapshots and the final model.
/// </summary>
internal sealed class LoopOptimizer : IDisposable
{
    private readonly Optimizer _primary;
    private readonly Optimizer? _fallback;
    private readonly Microsoft.ML.Optimizers.LearningRateScheduler? _primaryScheduler;
    private readonly Microsoft.ML.Optimizers.LearningRateScheduler? _fallbackScheduler;
    private readonly IHessianEstimating? _hessian;
    private readonly int _hessianInterval;
    private readonly bool _hasEvaluationPoint;
    private long _steps;

    private LoopOptimizer(Optimizer primary, Optimizer? fallback, TorchTrainerOptions options, long totalSteps, int hessianInterval)
    {
        _primary = primary;
        _fallback = fallback;
        _primaryScheduler = options.Schedule?.Create(primary, totalSteps);
        _fallbackScheduler = fallback != null ? options.Schedule?.Create(fallback, totalSteps) : null;
        _hessian = primary as IHessianEstimating;
        _hessianInterval = hessianInterval;
        _hasEvaluationPoint = options.Optimizer is ScheduleFreeAdamWOptions;
    }

    /// <summary>
    /// Creates the optimizer(s) for <paramref name="dense"/> (names as in the network; under mixed precision, the float32
    /// masters) and <paramref name="sparse"/> (sparse-gradient parameters, stepped by plain SGD at
    /// <paramref name="sparseLearningRate"/>).
    /// </summary>
    public static LoopOptimizer Create(TorchTrainerOptions options, TorchClassificationModel model,
        IReadOnlyList<(string name, Parameter parameter)> dense, IReadOnlyList<Parameter> sparse, double sparseLearningRate,
        int batchSize, long totalSteps)
    {
        OptimizerOptions chosen = options.Optimizer;
        int hessianInterval = 0;
        if (chosen is SophiaOptions sophia)
        {
            // The reference's step(bs=...) is the number of examples behind one gradient: the loop's batch.
            var perBatch = (SophiaOptions)sophia.Clone();
            perBatch.BatchSize = batchSize;
            chosen = perBatch;
            hessianInterval = sophia.HessianUpdateInterval;
        }
        if (chosen is MuonOptions muon)
        {
            (var matrices, var others) = MuonParameterSplit.Split(dense, model.Network, model.HeadModuleName);
            if (matrices.Count == 0)
            {
                throw new ArgumentException(
                    $"Optimizer Muon found no hidden 2-D weight matrix in the model (every trainable parameter is an embedding, the head, a bias or a norm); choose AdamW.",
                    nameof(TorchTrainerOptions.Optimizer));
            }
            Optimizer muonOptimizer = muon.Create(ScaledGroups(model, matrices, muon.LearningRate,
                named => new[] { new ParameterGroup(named.Select(p => p.parameter), name: "muon") }));
            Optimizer? fallback = null;
            try
            {
                List<ParameterGroup> fallbackGroups = DenseGroups(options, model, others, muon.CreateFallbackOptions().LearningRate);
                if (sparse.Count > 0)
                {
                    fallbackGroups.Add(ParameterGroup.SparseSgd(sparse, sparseLearningRate));
                }
                fallback = muon.CreateFallbackOptions().Create(fallbackGroups);
                return new LoopOptimizer(muonOptimizer, fallback, options, totalSteps, hessianInterval);
            }
            catch
            {
                fallback?.Dispose();
                muonOptimizer.Dispose();
                throw;
            }
        }
        List<ParameterGroup> groups = DenseGroups(options, model, dense, chosen.LearningRate);
        if (sparse.Count > 0)
        {
            // Last, so that group 0 (whose rate the log shows) stays a dense group; the scheduler scales this group's
            // base rate like the others'.
            groups.Add(ParameterGroup.SparseSgd(sparse, sparseLearningRate));
        }
        return new LoopOptimizer(chosen.Create(groups), null, options, totalSteps, hessianInterval);
    }

    /// <summary>The optimizer of the model's main parameters (Muon's, when Muon has a fallback).</summary>
    public Optimizer Primary => _primary;

    /// <summary>Muon's AdamW fallback (embeddings, head, biases, norms), or null.</summary>
    public Optimizer? Fallback => _fallback;

    /// <summary>Group 0's current learning rate of the primary optimizer.</summary>
    public double LearningRate => _primary.LearningRate;

    /// <summary>How many times the Hessian estimate was refreshed (SophiaG; 0 for the others).</summary>
    public int HessianRefreshes { get; private set; }

    /// <summary>Zeroes (or, with <paramref name="setToNone"/>, drops) the gradients of every parameter the optimizer(s) hold.</summary>
    public void ZeroGrad(bool setToNone = false)
    {
        _primary.ZeroGrad(setToNone);
        _fallback?.ZeroGrad(setToNone);
    }

    /// <summary>
    /// Clips the gradients of every dense parameter to a global L2 norm of <paramref name="maxNorm"/> and returns the
    /// norm before clipping (non-finite when a gradient is).
    /// </summary>
    public double ClipGradNorm(double maxNorm)
    {
        if (_fallback == null)
        {
            return _primary.ClipGradNorm(maxNorm);
        }
        // One global norm over both optimizers' dense parameters, as a single optimizer would clip.
        var denseParameters = _primary.ParameterGroups.Concat(_fallback.ParameterGroups)
            .Where(g => g.Rule == GroupUpdateRule.Optimizer)
            .SelectMany(g => g.Parameters)
            .ToList();
        using var scope = NewDisposeScope();
        return nn.utils.clip_grad_norm_(denseParameters, maxNorm);
    }

    /// <summary>Steps every optimizer and its schedule.</summary>
    public void Step()
    {
        _primary.Step();
        _fallback?.Step();
        AdvanceSchedules();
        _steps++;
    }

    /// <summary>
    /// Leaves the weights and state untouched but advances the schedules, so that a skipped step does not stretch the
    /// warmup or the decay.
    /// </summary>
    public void SkipStep() => AdvanceSchedules();

    private void AdvanceSchedules()
    {
        _primaryScheduler?.Step();
        _fallbackScheduler?.Step();
    }

    /// <summary>True when SophiaG's estimate will be due after the next step (so the loop keeps that step's inputs).</summary>
    public bool HessianDueAfterStep => _hessian != null && (_steps + 1) % _hessianInterval == 0;

    /// <summary>True when SophiaG's estimate is due after the step just taken (every k-th step, as the reference script).</summary>
    public bool HessianDue => _hessian != null && _steps > 0 && _steps % _hessianInterval == 0;

    /// <summary>
    /// Refreshes SophiaG's diagonal Hessian estimate with the Gauss-Newton-Bartlett estimator: labels sampled from the
    /// model's own softmax, the mean cross-entropy on them, its gradient squared (folded in by the optimizer). Call only
    /// when <see cref="HessianDue"/>; <paramref name="logits"/> runs the forward pass in train mode,
    /// <paramref name="gradientsReady"/> moves the gradients to the optimized parameters (mixed precision).
    /// </summary>
    public void RefreshHessian(Func<Tensor> logits, Action? gradientsReady)
    {
        if (_hessian == null)
        {
            throw new InvalidOperationException("Only SophiaG keeps a Hessian estimate.");
        }
        using var scope = NewDisposeScope();
        ZeroGrad();
        Tensor output = logits().to(ScalarType.Float32);
        Tensor sampled;
        using (no_grad())
        {
            sampled = multinomial(nn.functional.softmax(output.detach(), 1), 1, generator: TrainingGenerator.Current).squeeze(1);
        }
        nn.functional.cross_entropy(output, sampled).backward();
        gradientsReady?.Invoke();
        _hessian.UpdateHessian();
        ZeroGrad();
        HessianRefreshes++;
    }

    /// <summary>Moves the parameters to where the model is evaluated, scored and saved (a no-op except for Schedule-Free).</summary>
    public void UseEvaluationPoint()
    {
        _primary.UseEvaluationPoint();
        _fallback?.UseEvaluationPoint();
    }

    /// <summary>Moves the parameters back to the training point before the next step.</summary>
    public void UseTrainingPoint()
    {
        _primary.UseTrainingPoint();
        _fallback?.UseTrainingPoint();
    }

    /// <summary>True when the evaluation point differs from the training point (Schedule-Free AdamW).</summary>
    public bool HasEvaluationPoint => _hasEvaluationPoint;

    /// <summary>How many optimizer steps were taken (SophiaG's Hessian schedule counts them).</summary>
    public long Steps => _steps;

    /// <summary>The optimizer(s) under their checkpoint entry names: the primary, then Muon's AdamW fallback if any.</summary>
    private IEnumerable<(string Name, Optimizer Optimizer)> NamedOptimizers()
    {
        yield return ("optimizer", _primary);
        if (_fallback != null)
        {
            yield return ("fallback_optimizer", _fallback);
        }
    }

    /// <summary>The optimizer(s)' entries of a checkpoint (their own <c>Save</c> format), without the schedules'.</summary>
    public IEnumerable<(string Name, Action<System.IO.Stream> Write)> OptimizerEntries() =>
        NamedOptimizers().Select(named => (named.Name, (Action<System.IO.Stream>)named.Optimizer.Save));

    /// <summary>The checkpoint entries of the optimizer(s) and schedule(s): their own <c>Save</c> formats.</summary>
    public IEnumerable<(string Name, Action<System.IO.Stream> Write)> CheckpointEntries()
    {
        foreach (var entry in OptimizerEntries())
        {
            yield return entry;
        }
        if (_primaryScheduler != null)
        {
            yield return ("schedule", _primaryScheduler.Save);
        }
        if (_fallbackScheduler != null)
        {
            yield return ("fallback_schedule", _fallbackScheduler.Save);
        }
    }

    /// <summary>Restores what <see cref="CheckpointEntries"/> wrote; <paramref name="open"/> opens an entry by name.</summary>
    public void Restore(Func<string, System.IO.Stream> open, long steps, int hessianRefreshes)
    {
        foreach ((string name, Optimizer optimizer) in NamedOptimizers())
        {
            using System.IO.Stream s = open(name);
            optimizer.Load(s);
        }
        // The schedules set the optimizers' learning rates for the restored position.
        if (_primaryScheduler != null)
        {
            using System.IO.Stream s = open("schedule");
            _primaryScheduler.Load(s);
        }
        if (_fallbackScheduler != null)
        {
            using System.IO.Stream s = open("fallback_schedule");
            _fallbackScheduler.Load(s);
        }
        _steps = steps;
        HessianRefreshes = hessianRefreshes;
    }

    /// <summary>
    /// Starts from a trained model's optimizer state (<see cref="TorchTrainerOptions.ContinueWithOptimizerState"/>): the
    /// moments, step counts and group-level state, keeping these options' learning rates, weight decay and momentum; the
    /// schedule starts afresh. A state of other parameter groups, sizes or types is an <see cref="ArgumentException"/>
    /// naming the option, thrown before the first step.
    /// </summary>
    public void ContinueFrom(TrainedOptimizerState state)
    {
        string option = nameof(TorchTrainerOptions.ContinueWithOptimizerState);
        string[] expected = NamedOptimizers().Select(e => e.Name).ToArray();
        if (!expected.OrderBy(n => n, StringComparer.Ordinal).SequenceEqual(state.Names.OrderBy(n => n, StringComparer.Ordinal), StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"{option}: the model's optimizer state has entries {string.Join(", ", state.Names)}, this fit's optimizer {string.Join(", ", expected)}.", option);
        }
        foreach ((string name, Optimizer optimizer) in NamedOptimizers())
        {
            using System.IO.Stream stream = state.Open(name)!;
            try
            {
                optimizer.LoadState(stream);
            }
            catch (System.IO.InvalidDataException e)
            {
                // The loader checks every group and tensor before it changes anything; the fit fails before its first step.
                throw new ArgumentException($"{option}: the model's optimizer state does not fit the parameters these options train. {e.Message}", option, e);
            }
        }
    }

    /// <summary>Disposes the optimizer(s) and their state.</summary>
    public void Dispose()
    {
        _fallback?.Dispose();
        _primary.Dispose();
    }

    private static List<ParameterGroup> DenseGroups(TorchTrainerOptions options, TorchClassificationModel model,
        IReadOnlyList<(string name, Parameter parameter)> named, double learningRate)
        => ScaledGroups(model, named, learningRate, part => options.NoWeightDecayForBiasAndNorm
            ? ParameterGroup.SplitNoDecay(part)
            : new[] { new ParameterGroup(part.Select(p => p.parameter)) });

    /// <summary>
    /// The groups <paramref name="split"/> makes of <paramref name="named"/>, once per distinct
    /// <see cref="TorchClassificationModel.LearningRateScale"/>, at <paramref name="learningRate"/> times that scale; the
    /// largest scale first, so that group 0 (whose rate the log shows) keeps the full rate. When every scale is 1, just
    /// <paramref name="split"/>'s groups, with the options' rate.
    /// </summary>
    private static List<ParameterGroup> ScaledGroups(TorchClassificationModel model, IReadOnlyList<(string name, Parameter parameter)> named,
        double learningRate, Func<IReadOnlyList<(string name, Parameter parameter)>, IReadOnlyList<ParameterGroup>> split)
    {
        var byScale = named.GroupBy(p => model.LearningRateScale(p.name)).OrderByDescending(g => g.Key).ToList();
        if (byScale.All(g => g.Key == 1.0))
        {
            return split(named).ToList();
        }
        var groups = new List<ParameterGroup>();
        foreach (var layer in byScale)
        {
            if (!(double.IsFinite(layer.Key) && layer.Key >= 0))
            {
                throw new InvalidOperationException($"The model's learning-rate scale of '{layer.First().name}' is {layer.Key}; it must be finite and non-negative.");
            }
            foreach (ParameterGroup group in split(layer.ToList()).Where(g => g.Parameters.Count > 0))
            {
                groups.Add(new ParameterGroup(group.Parameters, learningRate * layer.Key, group.WeightDecay, group.Momentum,
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{group.Name ?? "group"} x{layer.Key:G6}"), group.Rule));
            }
        }
        return groups;
    }
}

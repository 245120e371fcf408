using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// An AutoML-style experiment that picks the optimizer and its hyperparameters for a TorchSharp classifier by
/// successive halving (the inner loop of Hyperband): it samples configurations from a search space, trains each as a
/// trial for a few epochs, keeps the best 1/eta by the validation metric, trains those eta times longer, and so on.
/// Works with any trainer built on <see cref="TorchClassificationTrainer{TOptions}"/> (images, text).
/// </summary>
/// <typeparam name="TOptions">The trainer's options type; the template's settings other than the optimizer, schedule,
/// epochs and validation data are used by every trial.</typeparam>
/// <example>
/// <code>
/// var experiment = OptimizerExperiment.Create(ml, new ImageClassificationTrainerOptions { ... },
///     o => ml.MulticlassClassification.Trainers.ImageClassification(o),
///     new OptimizerExperimentOptions { Budget = { MaxTrials = 9, MaxEpochsPerTrial = 9 } });
/// using OptimizerExperimentResult result = experiment.Run(train, validation);
/// Console.WriteLine(LeaderboardFormatter.ToTable(result.Leaderboard));
/// </code>
/// </example>
public sealed class OptimizerExperiment<TOptions> where TOptions : TorchTrainerOptions
{
    private readonly MLContext _mlContext;
    private readonly TOptions _template;
    private readonly Func<TOptions, IEstimator<TorchClassificationTransformer>> _createTrainer;

    /// <summary>Creates the experiment and validates every option (throwing an exception that names the bad one).</summary>
    /// <param name="mlContext">The context whose <c>CancelExecution()</c> stops the experiment and whose evaluator scores trials;
    /// <paramref name="createTrainer"/> should build trainers from the same context.</param>
    /// <param name="template">Trainer options shared by every trial; it is cloned per trial and never changed.</param>
    /// <param name="createTrainer">Builds a trainer from a trial's options, e.g. <c>o =&gt; ml.MulticlassClassification.Trainers.ImageClassification(o)</c>.</param>
    /// <param name="options">Search space, budget, metric and seed; null for the defaults.</param>
    public OptimizerExperiment(MLContext mlContext, TOptions template, Func<TOptions, IEstimator<TorchClassificationTransformer>> createTrainer,
        OptimizerExperimentOptions? options = null)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        ArgumentNullException.ThrowIfNull(template);
        _createTrainer = createTrainer ?? throw new ArgumentNullException(nameof(createTrainer));
        Options = options ?? new OptimizerExperimentOptions();
        Options.Validate();
        _template = (TOptions)template.Clone();
        // Every trial validates on the experiment's validation data, so early stopping has data even when the template has none.
        _template.ValidationDataComesLater = true;
        _template.Validate();
    }

    /// <summary>The experiment's settings.</summary>
    public OptimizerExperimentOptions Options { get; }

    /// <summary>
    /// Runs the experiment. Trials train on <paramref name="trainData"/> and are scored after every epoch with
    /// <c>mlContext.MulticlassClassification.Evaluate</c> on <paramref name="validationData"/>, whose labels are matched to the
    /// training labels by key value (its own key mapping may order the classes differently; classes the training data lacks
    /// are an error). Returns the leaderboard and the best model; the wall-time budget ends the experiment early
    /// and normally, with the trials not started marked <see cref="TrialStatus.Skipped"/>.
    /// </summary>
    /// <exception cref="OptimizerExperimentCanceledException">
    /// <c>mlContext.CancelExecution()</c> was called; it carries the partial leaderboard (an <see cref="OperationCanceledException"/>,
    /// as ML.NET's trainers throw).</exception>
    /// <exception cref="InvalidOperationException">No trial completed (every one failed); the message lists the errors.</exception>
    public OptimizerExperimentResult Run(IDataView trainData, IDataView validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(validationData);
        LabelKeyInfo labels = LabelKeyInfo.FromSchema(trainData.Schema, _template.LabelColumnName);
        // Keys are matched by value, so validation data mapped by its own MapValueToKey is evaluated in the training key order.
        validationData = LabelKeyAlignment.AlignTo(validationData, trainData.Schema, _template.LabelColumnName, nameof(validationData));
        IReadOnlyList<(int Configurations, int Epochs)> rungs = Options.Budget.Rungs();
        IReadOnlyList<TrialConfiguration> configurations = ConfigurationSampler.Sample(Options.SearchSpace, Options.Budget.MaxTrials, Options.Seed);
        // The context's own environment (the one its catalogs hand to trainers) is what CancelExecution marks.
        IHostEnvironment env = MLNetBridge.EnvironmentOf(_mlContext.MulticlassClassification.Trainers);
        var clock = Stopwatch.StartNew();
        var trials = new List<TrialResult>();
        TrialResult? bestTrial = null;
        TorchClassificationTransformer? bestModel = null;
        bool wallTimeExceeded = false;
        // Configuration ids (0-based indices into configurations) training in the current rung.
        List<int> active = Enumerable.Range(0, configurations.Count).ToList();
        try
        {
            for (int rung = 0; rung < rungs.Count && active.Count > 0; rung++)
            {
                int epochs = rungs[rung].Epochs;
                var rungTrials = new List<TrialResult>();
                foreach (int id in active)
                {
                    var trial = new TrialResult(trials.Count + 1, id + 1, rung, epochs, configurations[id], Options.Metric);
                    trials.Add(trial);
                    rungTrials.Add(trial);
                    if (MLNetBridge.IsCanceled(env))
                    {
                        trial.Status = TrialStatus.Canceled;
                        throw new OperationCanceledException("Canceled before the trial started.");
                    }
                    if (trials.Count > 1 && Options.Budget.MaxWallTime is TimeSpan limit && clock.Elapsed >= limit)
                    {
                        wallTimeExceeded = true;
                        trial.Status = TrialStatus.Skipped;
                        Options.TrialCompleted?.Invoke(trial);
                        continue;
                    }
                    TorchClassificationTransformer? model = RunTrial(trial, trainData, validationData, labels, env);
                    Options.TrialCompleted?.Invoke(trial);
                    if (model == null)
                    {
                        continue;
                    }
                    // Lexicographic (rung, metric): a trial of a later rung trained longer, so it replaces the best of earlier rungs.
                    if (bestTrial == null || rung > bestTrial.Rung || Options.Metric.CompareBetterFirst(trial.FinalMetric, bestTrial.FinalMetric) < 0)
                    {
                        bestModel?.Dispose();
                        bestModel = model;
                        bestTrial = trial;
                    }
                    else
                    {
                        model.Dispose();
                    }
                }
                if (wallTimeExceeded || rung + 1 == rungs.Count)
                {
                    break;
                }
                // Successive halving: the best floor(n / eta) of this rung's completed trials are promoted. The next rung
                // retrains them from scratch with eta times the epochs rather than resuming: the schedules (warmup, cosine,
                // one-cycle) are functions of the run's total steps, so a resumed run would not be the run that the longer
                // budget describes, and a from-scratch run with the same seed is the trial the leaderboard claims it is.
                var promoted = OptimizerExperimentRanking.Rank(Options.Metric, rungTrials.Where(t => t.Status == TrialStatus.Completed))
                    .Take(rungs[rung + 1].Configurations).ToList();
                foreach (TrialResult t in promoted)
                {
                    t.Promoted = true;
                }
                active = promoted.Select(t => t.ConfigurationId - 1).ToList();
            }
        }
        catch (OperationCanceledException ex) when (MLNetBridge.IsCanceled(env))
        {
            bestModel?.Dispose();
            throw new OptimizerExperimentCanceledException(Options.Metric, trials, ex);
        }
        catch
        {
            bestModel?.Dispose();
            throw;
        }

        if (bestTrial == null || bestModel == null)
        {
            string errors = string.Join("; ", trials.Where(t => t.Error != null).Select(t => $"trial {t.TrialId}: {t.Error}").Distinct().Take(5));
            throw new InvalidOperationException($"No trial of the optimizer experiment completed ({errors}).");
        }
        return new OptimizerExperimentResult(Options.Metric, trials, bestTrial, bestModel, clock.Elapsed.TotalSeconds, wallTimeExceeded);
    }

    /// <summary>Trains one trial; returns its model, or null when it failed (the trial then says why).</summary>
    private TorchClassificationTransformer? RunTrial(TrialResult trial, IDataView trainData, IDataView validationData, LabelKeyInfo labels, IHostEnvironment env)
    {
        var clock = Stopwatch.StartNew();
        var perEpoch = new List<double>();
        var history = new List<EpochMetrics>();
        TOptions options = (TOptions)_template.Clone();
        options.Epochs = trial.Epochs;
        options.Optimizer = trial.Configuration.CreateOptimizerOptions();
        // The fused-kernel switch is a property of where the template runs, not a hyperparameter: the template decides.
        options.Optimizer.UseFusedKernels = _template.Optimizer.UseFusedKernels;
        options.Schedule = trial.Configuration.CreateScheduleOptions();
        // Every trial is a fresh run: a template's CheckpointFolder would make the second trial meet the first's checkpoints.
        options.CheckpointFolder = null;
        // The engine validates on the same data each epoch, so best-epoch restore and early stopping see what the metric sees.
        options.ValidationSet = validationData;
        Action<EpochMetrics>? userCallback = _template.EpochCallback;
        options.EpochCallback = m =>
        {
            history.Add(m);
            userCallback?.Invoke(m);
        };
        // The wrapper is not disposed: the model belongs to the trainer that is still training it.
        options.EpochModelCallback = (_, model) => perEpoch.Add(Evaluate(
            new TorchClassificationTransformer(model, labels, options.LabelColumnName, options.ScoreColumnName, options.PredictedLabelColumnName, options.ScoringBatchSize),
            validationData, options));
        TorchClassificationTransformer? fitted = null;
        try
        {
            fitted = _createTrainer(options).Fit(trainData);
            trial.FinalMetric = Evaluate(fitted, validationData, options);
            trial.Status = TrialStatus.Completed;
            return fitted;
        }
        catch (OperationCanceledException) when (MLNetBridge.IsCanceled(env))
        {
            fitted?.Dispose();
            trial.Status = TrialStatus.Canceled;
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A configuration that cannot train (e.g. a schedule whose warmup exceeds a short rung) loses; the search goes on.
            fitted?.Dispose();
            trial.Status = TrialStatus.Failed;
            trial.Error = ex.Message;
            return null;
        }
        finally
        {
            trial.MetricPerEpoch = perEpoch;
            trial.History = history;
            trial.Seconds = clock.Elapsed.TotalSeconds;
        }
    }

    private double Evaluate(ITransformer model, IDataView data, TOptions options)
    {
        IDataView scored = model.Transform(data);
        MulticlassClassificationMetrics metrics = _mlContext.MulticlassClassification.Evaluate(scored, options.LabelColumnName,
            options.ScoreColumnName, options.PredictedLabelColumnName, Options.Metric == MulticlassMetric.TopKAccuracy ? Options.TopK : 0);
        return Options.Metric.ValueOf(metrics);
    }
}

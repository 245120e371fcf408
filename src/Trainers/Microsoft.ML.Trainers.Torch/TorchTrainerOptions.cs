using System;
using Microsoft.ML.Optimizers;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Options every TorchSharp classification trainer shares: columns, the training loop, the optimizer and
/// its schedule, validation and early stopping, and where the work runs.
/// </summary>
public abstract class TorchTrainerOptions
{
    /// <summary>The label column; must be a key type (use <c>MapValueToKey</c>).</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The Score column added by the trained transformer.</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>The PredictedLabel column added by the trained transformer.</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Examples per optimizer step.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// Micro-batches of <see cref="BatchSize"/> examples whose gradients add up before each optimizer step (default 1):
    /// N steps of accumulation train like one batch of N·BatchSize for models without batch statistics (BatchNorm
    /// still normalizes each micro-batch). Clipping, the optimizer and the schedule step once per accumulated batch.
    /// </summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>
    /// Keep an exponential moving average of the weights with this decay (timm's <c>--model-ema</c>; 0.9998 is
    /// timm's default, smaller values suit short trainings); null (default) turns it off. When on, validation,
    /// the best-epoch choice and the trained model use the averaged weights.
    /// </summary>
    public double? EmaDecay { get; set; }

    /// <summary>With <see cref="EmaDecay"/>, ramp the decay up as <c>min(EmaDecay, (1 + t) / (10 + t))</c> over updates t.</summary>
    public bool EmaWarmup { get; set; }

    /// <summary>
    /// Train only the classification head for this many first epochs, then everything (fine-tuning a pretrained
    /// backbone without wrecking it while the new head is random); 0 (default) trains everything from the start.
    /// Frozen parameters get no gradient, so the optimizer skips them entirely (no weight decay, no state change);
    /// BatchNorm layers of a frozen backbone still update their running statistics (as fastai's freeze).
    /// </summary>
    public int FreezeBackboneEpochs { get; set; }

    /// <summary>Rows per forward pass when the trained transformer scores data.</summary>
    public int ScoringBatchSize { get; set; } = 128;

    /// <summary>
    /// The optimizer and its hyperparameters: any of the library's (SGD, Adam, AdamW, Lion, LAMB, LARS, Adan, Adafactor,
    /// Schedule-Free AdamW, Muon, SophiaG). The loop gives the last three what they need: Schedule-Free's evaluation point
    /// for validation, scoring and saving; Muon's AdamW fallback for embeddings, the head, biases and norms; SophiaG's
    /// Hessian estimate every <see cref="SophiaOptions.HessianUpdateInterval"/> steps (its
    /// <see cref="SophiaOptions.BatchSize"/> is taken to be <see cref="BatchSize"/>).
    /// </summary>
    public OptimizerOptions Optimizer { get; set; } = new AdamWOptions();

    /// <summary>The learning-rate schedule, stepped once per optimizer step; null keeps the rate constant.</summary>
    public ScheduleOptions? Schedule { get; set; }

    /// <summary>Clip the global gradient norm to this value before each step; null turns clipping off.</summary>
    public double? GradientClipNorm { get; set; }

    /// <summary>
    /// When a step's loss or gradient norm is not finite, skip it (no update, counted in
    /// <see cref="EpochMetrics.SkippedSteps"/>) instead of stopping with a <see cref="TrainingDivergedException"/>.
    /// Costs one gradient-norm reduction per step when <see cref="GradientClipNorm"/> is off.
    /// </summary>
    public bool SkipNonFiniteSteps { get; set; }

    /// <summary>
    /// With <see cref="SkipNonFiniteSteps"/>, the most steps a run may skip; one more throws
    /// <see cref="TrainingDivergedException"/>.
    /// </summary>
    public int MaxSkippedSteps { get; set; } = 10;

    /// <summary>Exempt biases and normalization weights from weight decay (as Hugging Face's Trainer and timm do).</summary>
    public bool NoWeightDecayForBiasAndNorm { get; set; } = true;

    /// <summary>Label smoothing of the cross-entropy loss, in [0, 1).</summary>
    public double LabelSmoothing { get; set; }

    /// <summary>
    /// After each epoch, also evaluate on the training data as validation does (eval mode, no augmentation), reported as
    /// <see cref="EpochMetrics.CleanTrainLoss"/> and <see cref="EpochMetrics.CleanTrainAccuracy"/>; costs one scoring pass
    /// over the training data per epoch. The always-reported training metrics are measured on the batches as trained.
    /// </summary>
    public bool CleanTrainAccuracy { get; set; }

    /// <summary>
    /// Data to validate on after each epoch; takes precedence over <see cref="ValidationFraction"/>. Its labels are matched
    /// to the training labels by key value, so its own key mapping may order the classes differently; classes the training
    /// data lacks are an error naming them.
    /// </summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Fraction of the training data held out (stratified, seeded) for validation when no <see cref="ValidationSet"/> is given.</summary>
    public double ValidationFraction { get; set; }

    /// <summary>
    /// Stop after this many epochs without a better validation score (<see cref="BestEpochMetric"/>); null trains every
    /// epoch. Needs validation data: <see cref="ValidationSet"/> or <see cref="ValidationFraction"/>.
    /// </summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>
    /// The validation metric that decides the best epoch for <see cref="EarlyStoppingPatience"/> and
    /// <see cref="RestoreBestEpoch"/>: accuracy (default), log-loss or macro-accuracy. Another than the default needs
    /// validation data, as <see cref="EarlyStoppingPatience"/> does.
    /// </summary>
    public BestEpochMetric BestEpochMetric { get; set; } = BestEpochMetric.Accuracy;

    /// <summary>
    /// A model trained by this trainer whose weights start the fit instead of a fresh or pretrained initialisation (ML.NET's
    /// retraining pattern: load a saved model, fit again on new data). Its classes must be the label column's, in the same
    /// key order (checked before any data is read), and its network must have the parameter names and shapes these options
    /// build. The optimizer, schedule and random streams start afresh.
    /// </summary>
    public TorchClassificationTransformer? ContinueFrom { get; set; }

    /// <summary>
    /// Keep the optimizer's state (moments, step counts) in the trained transformer and in the model zip
    /// <c>mlContext.Model.Save</c> writes, so a later fit can go on with it (<see cref="ContinueWithOptimizerState"/>), as
    /// PyTorch users save <c>optimizer.state_dict()</c> next to the weights. Off by default: the state is as large as the
    /// weights (twice for Adam-type optimizers) and a model without it is saved exactly as before. It is the state after
    /// the last step, even when <see cref="RestoreBestEpoch"/> or <see cref="EmaDecay"/> make the weights another point.
    /// </summary>
    public bool SaveOptimizerState { get; set; }

    /// <summary>
    /// With <see cref="ContinueFrom"/>, start the optimizer from the state that model carries (trained with
    /// <see cref="SaveOptimizerState"/>) instead of afresh: its moments, step counts (Adam's bias correction goes on) and
    /// group-level state, under these options' learning rates, weight decay and momentum; the schedule starts afresh. The
    /// model must carry optimizer state of the same optimizer type (checked before any data is read) over the same
    /// parameter groups and sizes (checked when the optimizer is built); each mismatch is an error naming this option.
    /// </summary>
    public bool ContinueWithOptimizerState { get; set; }

    /// <summary>With validation data, end training with the weights of the best epoch rather than the last.</summary>
    public bool RestoreBestEpoch { get; set; } = true;

    /// <summary>Seed for weight initialisation, shuffling, augmentation and the validation split.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Shuffle the training examples every epoch.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>"cpu", "cuda", "cuda:N" or "auto" (CUDA needs the CUDA TorchSharp backend).</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// The number format of the forward and backward passes while training: <see cref="TrainingPrecision.Float32"/>
    /// (default) or <see cref="TrainingPrecision.MixedBFloat16"/> (bfloat16 compute with float32 master weights).
    /// Scoring and the saved model are float32 either way.
    /// </summary>
    public TrainingPrecision Precision { get; set; } = TrainingPrecision.Float32;

    /// <summary>Threads libtorch may use during training and scoring; null keeps its default.</summary>
    public int? Threads { get; set; }

    /// <summary>
    /// A folder for training checkpoints; null (default) saves none. Every checkpoint holds what the run needs to continue
    /// exactly where it was (weights, float32 masters, optimizer and schedule state, EMA, best-epoch snapshot, early-stopping
    /// counters, history, position in the epoch). When the folder already holds a checkpoint of the same options and data,
    /// <c>Fit</c> resumes from the newest one; one from other options or data fails, naming what differs.
    /// </summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>Save a checkpoint every this many <see cref="CheckpointEveryUnit"/>s (default 1).</summary>
    public int CheckpointEvery { get; set; } = 1;

    /// <summary>Whether <see cref="CheckpointEvery"/> counts epochs (default) or optimizer steps.</summary>
    public CheckpointUnit CheckpointEveryUnit { get; set; } = CheckpointUnit.Epochs;

    /// <summary>The newest checkpoints kept in <see cref="CheckpointFolder"/> (default 2); older ones are deleted after a newer one is written.</summary>
    public int CheckpointsToKeep { get; set; } = 2;

    /// <summary>Log loss, learning rate and throughput every this many steps; 0 logs once per epoch only.</summary>
    public int LogEveryNSteps { get; set; }

    /// <summary>Called after every epoch with its metrics.</summary>
    public Action<EpochMetrics>? EpochCallback { get; set; }

    /// <summary>
    /// Called after every epoch with its metrics and the model as it stands (before any best-epoch restore), so
    /// the optimizer search can score each epoch with ML.NET's evaluators. The model must not be disposed or
    /// kept; it is in eval mode or train mode as the callee leaves it (the next epoch sets train mode).
    /// </summary>
    internal Action<EpochMetrics, TorchClassificationModel>? EpochModelCallback { get; set; }

    /// <summary>
    /// Set by a caller that supplies <see cref="ValidationSet"/> itself before training (the optimizer experiment validates its
    /// template before it has the validation data). A field, so run fingerprints and option listings never see it.
    /// </summary>
    internal bool ValidationDataComesLater;

    /// <summary>
    /// A copy of these options for another training run (an optimizer search trains many variants of one
    /// template): a shallow copy of every setting, with <see cref="Optimizer"/> and <see cref="Schedule"/>
    /// cloned so changing the copy's hyperparameters leaves the template alone. Data (the validation set)
    /// and callbacks are shared, not copied.
    /// </summary>
    public virtual TorchTrainerOptions Clone()
    {
        var copy = (TorchTrainerOptions)MemberwiseClone();
        copy.Optimizer = Optimizer?.Clone()!;
        copy.Schedule = Schedule?.Clone();
        return copy;
    }

    /// <summary>
    /// Checks every option, throwing an exception that names the option. Trainers call it at
    /// construction so bad settings fail before any data is read.
    /// </summary>
    public virtual void Validate()
    {
        RequireName(LabelColumnName, nameof(LabelColumnName));
        RequireName(ScoreColumnName, nameof(ScoreColumnName));
        RequireName(PredictedLabelColumnName, nameof(PredictedLabelColumnName));
        RequireAtLeast(Epochs, 1, nameof(Epochs));
        RequireAtLeast(BatchSize, 1, nameof(BatchSize));
        RequireAtLeast(ScoringBatchSize, 1, nameof(ScoringBatchSize));
        RequireAtLeast(GradientAccumulationSteps, 1, nameof(GradientAccumulationSteps));
        RequireAtLeast(FreezeBackboneEpochs, 0, nameof(FreezeBackboneEpochs));
        if (EmaDecay is double ema && (!double.IsFinite(ema) || ema < 0 || ema >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(EmaDecay), $"EmaDecay must be in [0, 1) or null (was {ema}).");
        }
        if (Optimizer == null)
        {
            throw new ArgumentNullException(nameof(Optimizer), "Optimizer must be set (for example new AdamWOptions()).");
        }
        // Conditions across options (Nesterov without momentum, one-cycle's PctStart) fail here, not after the data is read.
        Optimizer.Validate();
        Schedule?.Validate();
        if (GradientClipNorm is double clip && (!double.IsFinite(clip) || clip <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), $"GradientClipNorm must be a positive number or null (was {clip}).");
        }
        if (!double.IsFinite(LabelSmoothing) || LabelSmoothing < 0 || LabelSmoothing >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), $"LabelSmoothing must be in [0, 1) (was {LabelSmoothing}).");
        }
        if (!double.IsFinite(ValidationFraction) || ValidationFraction < 0 || ValidationFraction >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), $"ValidationFraction must be in [0, 1) (was {ValidationFraction}).");
        }
        if (EarlyStoppingPatience is int patience && patience < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), $"EarlyStoppingPatience must be at least 1 or null (was {patience}).");
        }
        if (ContinueWithOptimizerState && ContinueFrom == null)
        {
            throw new ArgumentException(
                $"{nameof(ContinueWithOptimizerState)} needs {nameof(ContinueFrom)}: the model whose optimizer state the fit starts from.", nameof(ContinueWithOptimizerState));
        }
        if (EarlyStoppingPatience is int && ValidationSet == null && ValidationFraction == 0 && !ValidationDataComesLater)
        {
            // Without validation data there is nothing to be patient about: the option would silently do nothing.
            throw new ArgumentException(
                $"{nameof(EarlyStoppingPatience)} needs validation data: set {nameof(ValidationSet)} or {nameof(ValidationFraction)}, or leave {nameof(EarlyStoppingPatience)} null.",
                nameof(EarlyStoppingPatience));
        }
        if (Threads is int threads && threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), $"Threads must be at least 1 or null (was {threads}).");
        }
        if (!Enum.IsDefined(Precision))
        {
            throw new ArgumentOutOfRangeException(nameof(Precision), $"Precision must be Float32 or MixedBFloat16 (was {(int)Precision}).");
        }
        RequireAtLeast(LogEveryNSteps, 0, nameof(LogEveryNSteps));
        RequireAtLeast(CheckpointEvery, 1, nameof(CheckpointEvery));
        RequireAtLeast(CheckpointsToKeep, 1, nameof(CheckpointsToKeep));
        if (CheckpointFolder != null && string.IsNullOrWhiteSpace(CheckpointFolder))
        {
            throw new ArgumentException("CheckpointFolder must name a folder or be null.", nameof(CheckpointFolder));
        }
        if (!Enum.IsDefined(CheckpointEveryUnit))
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointEveryUnit), $"CheckpointEveryUnit must be Epochs or Steps (was {(int)CheckpointEveryUnit}).");
        }
        RequireAtLeast(MaxSkippedSteps, 0, nameof(MaxSkippedSteps));
        if (!Enum.IsDefined(BestEpochMetric))
        {
            throw new ArgumentOutOfRangeException(nameof(BestEpochMetric), $"BestEpochMetric must be Accuracy, LogLoss or MacroAccuracy (was {(int)BestEpochMetric}).");
        }
        if (BestEpochMetric != BestEpochMetric.Accuracy && ValidationSet == null && ValidationFraction == 0 && !ValidationDataComesLater)
        {
            // The metric only ranks validation epochs; set without validation data it would silently do nothing.
            throw new ArgumentException(
                $"{nameof(BestEpochMetric)} {BestEpochMetric} needs validation data: set {nameof(ValidationSet)} or {nameof(ValidationFraction)}, or leave {nameof(BestEpochMetric)} at its default.",
                nameof(BestEpochMetric));
        }
        string device = (Device ?? "").Trim().ToLowerInvariant();
        if (device != "cpu" && device != "auto" && device != "cuda" && !device.StartsWith("cuda:", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Device must be 'cpu', 'cuda', 'cuda:N' or 'auto' (was '{Device}').", nameof(Device));
        }
    }

    /// <summary>Throws when <paramref name="value"/> is below <paramref name="minimum"/>.</summary>
    protected static void RequireAtLeast(int value, int minimum, string option)
    {
        if (value < minimum)
        {
            throw new ArgumentOutOfRangeException(option, $"{option} must be at least {minimum} (was {value}).");
        }
    }

    /// <summary>Throws when a column name is null or blank.</summary>
    protected static void RequireName(string? value, string option)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{option} must name a column.", option);
        }
    }
}

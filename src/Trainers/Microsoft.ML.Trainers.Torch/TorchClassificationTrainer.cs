using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The ML.NET estimator shape shared by the TorchSharp classifiers: checks options and columns before
/// any training, reads the data into memory, builds the model, runs the <see cref="TrainingLoop"/>, and
/// returns a <see cref="TorchClassificationTransformer"/>.
/// </summary>
/// <typeparam name="TOptions">The trainer's options.</typeparam>
public abstract class TorchClassificationTrainer<TOptions> : IEstimator<TorchClassificationTransformer>
    where TOptions : TorchTrainerOptions
{
    private readonly IHost _host;

    /// <summary>Validates <paramref name="options"/> so bad settings fail at construction.</summary>
    protected TorchClassificationTrainer(IHostEnvironment env, TOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TorchBackend.EnsureAvailable();
        _host = env.Register(name);
        Options = options;
    }

    /// <summary>The options the trainer was created with.</summary>
    public TOptions Options { get; }

    /// <summary>The per-epoch metrics of the last <see cref="Fit"/>.</summary>
    public IReadOnlyList<EpochMetrics> TrainingHistory { get; private set; } = Array.Empty<EpochMetrics>();

    /// <summary>Checks the trainer's input columns in a schema shape, throwing an exception naming the column.</summary>
    protected abstract void CheckInputShape(SchemaShape inputSchema);

    /// <summary>
    /// Creates the state of one <see cref="Fit"/> (called once per fit, after the label and validation columns were
    /// checked and before any data is read): checks <paramref name="trainingData"/>'s input columns, throwing an exception
    /// naming the column (<see cref="CheckInputShape"/> does for a schema shape), and settles what depends on the training
    /// data, for example the input size. Keep that state in the returned object, never in the estimator.
    /// </summary>
    protected abstract TorchClassificationFit CreateFit(IDataView trainingData, IChannel channel);

    /// <inheritdoc />
    public TorchClassificationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using IChannel channel = _host.Start("Training");
        Device device = TorchDevices.Resolve(Options.Device);
        LabelKeyInfo labels = LabelKeyInfo.FromSchema(input.Schema, Options.LabelColumnName);
        if (Options.ContinueFrom is TorchClassificationTransformer previous)
        {
            ContinuedTraining.CheckLabels(previous, labels, Options.LabelColumnName);
            ContinuedTraining.CheckOptimizerState(previous, Options);
        }
        IDataView? validationSet = null;
        if (Options.ValidationSet != null)
        {
            // Keys are matched by value: a ValidationSet mapped by its own MapValueToKey is read in the training key order.
            validationSet = LabelKeyAlignment.AlignTo(Options.ValidationSet, input.Schema, Options.LabelColumnName, nameof(TorchTrainerOptions.ValidationSet));
            CheckInputShape(SchemaShape.Create(Options.ValidationSet.Schema));
        }

        CheckScheduleFitsRun(input);
        TorchClassificationFit fit = CreateFit(input, channel);
        using (TorchThreadScope.Enter(Options.Threads))
        {
            CheckBeforeReading(fit, labels, channel, resumes: true);
            ITrainingSet all = fit.ReadTrainingSet(input, labels, channel);
            CheckTrainable(all, labels);
            (ITrainingSet train, ITrainingSet? validation) = SplitValidation(fit, all, labels, validationSet, channel);
            TorchClassificationModel model = CreateStartingModel(fit, labels, train, channel);
            try
            {
                var loop = new TrainingLoop(_host, channel, Options, fit.SparseLearningRate);
                TrainingHistory = loop.Run(model, TrainingExamples(train, channel), validation, device);
                return new TorchClassificationTransformer(model, labels, Options.LabelColumnName, Options.ScoreColumnName,
                    Options.PredictedLabelColumnName, Options.ScoringBatchSize)
                {
                    OptimizerState = loop.FinalOptimizerState,
                };
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Runs the learning-rate range test (<see cref="LearningRateFinder"/>, fastai's <c>lr_find</c>) on the model these
    /// options would start training from (fresh, pretrained or <see cref="TorchTrainerOptions.ContinueFrom"/>), over
    /// <paramref name="input"/>'s training rows (without the <see cref="TorchTrainerOptions.ValidationFraction"/> held out),
    /// and returns the curve and the suggested rate; nothing is trained. Plot it with
    /// <c>Microsoft.ML.Trainers.Torch.Search.Charts.LearningRateFinderChart</c>.
    /// </summary>
    /// <param name="input">Training data as <see cref="Fit"/> takes it (a key-typed label column).</param>
    /// <param name="startLearningRate">The first rate (fastai: 1e-7).</param>
    /// <param name="endLearningRate">The last rate (fastai: 10).</param>
    /// <param name="steps">The number of steps (fastai: 100).</param>
    public LearningRateFinderResult FindLearningRate(IDataView input, double startLearningRate = 1e-7, double endLearningRate = 10, int steps = 100)
    {
        ArgumentNullException.ThrowIfNull(input);
        LearningRateFinder.CheckArguments(startLearningRate, endLearningRate, steps);
        using IChannel channel = _host.Start("LearningRateFinder");
        Device device = TorchDevices.Resolve(Options.Device);
        LabelKeyInfo labels = LabelKeyInfo.FromSchema(input.Schema, Options.LabelColumnName);
        if (Options.ContinueFrom is TorchClassificationTransformer previous)
        {
            ContinuedTraining.CheckLabels(previous, labels, Options.LabelColumnName);
        }
        TorchClassificationFit fit = CreateFit(input, channel);
        using (TorchThreadScope.Enter(Options.Threads))
        {
            CheckBeforeReading(fit, labels, channel, resumes: false);
            ITrainingSet all = fit.ReadTrainingSet(input, labels, channel);
            CheckTrainable(all, labels);
            ITrainingSet train = Options.ValidationSet == null && Options.ValidationFraction > 0
                ? SplitValidation(fit, all, labels, null, channel).Train
                : all;
            using TorchClassificationModel model = CreateStartingModel(fit, labels, train, channel);
            model.MoveTo(device);
            LearningRateFinderResult result = LearningRateFinder.Run(model, TrainingExamples(train, channel), Options, startLearningRate, endLearningRate, steps);
            channel.Info(MessageSensitivity.None, $"Learning-rate finder: {result.Points.Count} steps, suggested rate {result.SuggestedLearningRate:G3}.");
            return result;
        }
    }

    /// <summary>
    /// What can fail without the data fails before the first row is decoded: the starting weights against the network,
    /// and, when the run <paramref name="resumes"/> from checkpoints, the newest one (damaged, or written with other options).
    /// </summary>
    private void CheckBeforeReading(TorchClassificationFit fit, LabelKeyInfo labels, IChannel channel, bool resumes)
    {
        lock (TrainingGenerator.InitializationLock)
        {
            fit.CheckStartingWeights(labels, channel);
        }
        if (resumes && Options.CheckpointFolder != null)
        {
            LoopCheckpointing.CheckBeforeReading(Options);
        }
    }

    /// <summary>The model a fit starts from: built from the seed, then given <see cref="TorchTrainerOptions.ContinueFrom"/>'s weights.</summary>
    private TorchClassificationModel CreateStartingModel(TorchClassificationFit fit, LabelKeyInfo labels, ITrainingSet train, IChannel channel)
    {
        TorchClassificationModel model;
        // Layers initialise from the process-wide generator: seeding it and building the model is one step that no
        // other fit may interleave with. Training then draws only from the fit's own generators.
        lock (TrainingGenerator.InitializationLock)
        {
            random.manual_seed(Options.Seed);
            model = fit.CreateModel(labels, train, channel);
        }
        if (Options.ContinueFrom is TorchClassificationTransformer start)
        {
            try
            {
                ContinuedTraining.CopyWeights(start.Model, model);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            channel.Info(MessageSensitivity.None, "Continuing from the weights of the given model.");
        }
        return model;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (inputSchema.Find(Options.LabelColumnName) is not SchemaShape.Column label)
        {
            throw new ArgumentException($"Label column '{Options.LabelColumnName}' was not found.", nameof(inputSchema));
        }
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentException($"Label column '{Options.LabelColumnName}' must be a scalar key type; map it with MapValueToKey first.", nameof(inputSchema));
        }
        CheckInputShape(inputSchema);
        bool hasKeyValues = label.Annotations.Find("KeyValues") != null;
        // The key count is unknown in a schema shape; one placeholder class name stands for "has key values".
        var outputs = new ClassificationOutputColumns(new LabelKeyInfo(2, hasKeyValues ? new[] { "", "" } : null), Options.ScoreColumnName, Options.PredictedLabelColumnName);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (SchemaShape.Column column in outputs.ShapeColumns())
        {
            columns[column.Name] = column;
        }
        return new SchemaShape(columns.Values);
    }

    /// <summary>
    /// Checks the schedule against the run's length (e.g. a warmup longer than the run) before any row is decoded: the
    /// training rows are the data's row count, or, when ValidationFraction holds rows out, counted from the label column
    /// alone as <see cref="SplitValidation"/> will split them. Data that cannot count its rows is checked by the loop.
    /// </summary>
    private void CheckScheduleFitsRun(IDataView input)
    {
        if (Options.Schedule == null)
        {
            return;
        }
        long? trainingRows = Options.ValidationSet == null && Options.ValidationFraction > 0 ? TrainingRowsAfterSplit(input) : input.GetRowCount();
        if (trainingRows is not long rows || rows < 1)
        {
            return;
        }
        int stepsPerEpoch = TrainingLoop.Batching(Options, (int)Math.Min(rows, int.MaxValue)).StepsPerEpoch;
        Options.Schedule.Validate((long)stepsPerEpoch * Options.Epochs);
    }

    /// <summary>The rows left for training once each class holds out its <see cref="HeldOut"/> share; reads only the labels.</summary>
    private long TrainingRowsAfterSplit(IDataView input)
    {
        DataViewSchema.Column label = input.Schema[Options.LabelColumnName];
        var perClass = new Dictionary<uint, int>();
        using DataViewRowCursor cursor = input.GetRowCursor(new[] { label });
        ValueGetter<uint> getter = cursor.GetGetter<uint>(label);
        uint key = 0;
        while (cursor.MoveNext())
        {
            getter(ref key);
            if (key != 0)
            {
                perClass[key] = perClass.GetValueOrDefault(key) + 1;
            }
        }
        return perClass.Values.Sum(members => (long)(members - HeldOut(members)));
    }

    /// <summary>How many of a class's <paramref name="members"/> the ValidationFraction split holds out.</summary>
    private int HeldOut(int members) => (int)Math.Round(members * Options.ValidationFraction);

    private void CheckTrainable(ITrainingSet set, LabelKeyInfo labels)
    {
        if (set.Count == 0)
        {
            throw new InvalidOperationException("The training data has no rows.");
        }
        var classes = new HashSet<int>();
        for (int i = 0; i < set.Count && classes.Count < 2; i++)
        {
            classes.Add(set.GetLabel(i));
        }
        if (classes.Count < 2)
        {
            string name = labels.KeyValues?[classes.First()] ?? $"key {classes.First() + 1}";
            throw new InvalidOperationException(
                $"Label column '{Options.LabelColumnName}' has a single class ('{name}') in all {set.Count} training rows; a classifier needs at least two.");
        }
    }

    private static ITrainingSet TrainingExamples(ITrainingSet train, IChannel channel)
    {
        ITrainingSet examples = train.TrainingExamples();
        if (examples.Count != train.Count)
        {
            channel.Info(MessageSensitivity.None, $"Training on {examples.Count} examples from {train.Count} rows (e.g. windows of long texts).");
        }
        return examples;
    }

    private (ITrainingSet Train, ITrainingSet? Validation) SplitValidation(TorchClassificationFit fit, ITrainingSet all, LabelKeyInfo labels,
        IDataView? validationSet, IChannel channel)
    {
        if (validationSet != null)
        {
            ITrainingSet validation = fit.ReadTrainingSet(validationSet, labels, channel);
            if (validation.Count == 0)
            {
                throw new InvalidOperationException("ValidationSet has no rows.");
            }
            return (all, validation);
        }
        if (Options.ValidationFraction <= 0)
        {
            return (all, null);
        }
        // Stratified: each class gives the same fraction, so small classes stay represented.
        var random = new Random(Options.Seed);
        var trainIndices = new List<int>();
        var validationIndices = new List<int>();
        foreach (var group in Enumerable.Range(0, all.Count).GroupBy(all.GetLabel))
        {
            int[] members = group.ToArray();
            random.Shuffle(members);
            int held = HeldOut(members.Length);
            validationIndices.AddRange(members.Take(held));
            trainIndices.AddRange(members.Skip(held));
        }
        if (validationIndices.Count == 0 || trainIndices.Count == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TorchTrainerOptions.ValidationFraction),
                $"ValidationFraction {Options.ValidationFraction} of {all.Count} rows leaves an empty training or validation split.");
        }
        trainIndices.Sort();
        validationIndices.Sort();
        channel.Info(MessageSensitivity.None, $"Holding out {validationIndices.Count} of {all.Count} rows for validation.");
        return (all.Subset(trainIndices.ToArray()), all.Subset(validationIndices.ToArray()));
    }
}

using System;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>Creates <see cref="OptimizerExperiment{TOptions}"/>s with the options type inferred.</summary>
public static class OptimizerExperiment
{
    /// <summary>
    /// An optimizer experiment for the trainer that <paramref name="createTrainer"/> builds from a trial's copy of
    /// <paramref name="template"/>; see <see cref="OptimizerExperiment{TOptions}"/>.
    /// </summary>
    /// <param name="mlContext">The context that evaluates trials and whose <c>CancelExecution()</c> stops the experiment.</param>
    /// <param name="template">Trainer options shared by every trial.</param>
    /// <param name="createTrainer">Builds a trainer from a trial's options.</param>
    /// <param name="options">Search space, budget, metric and seed; null for the defaults.</param>
    public static OptimizerExperiment<TOptions> Create<TOptions>(MLContext mlContext, TOptions template,
        Func<TOptions, IEstimator<TorchClassificationTransformer>> createTrainer, OptimizerExperimentOptions? options = null)
        where TOptions : TorchTrainerOptions
        => new(mlContext, template, createTrainer, options);
}

using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Starts a fit from a trained model's weights (<see cref="TorchTrainerOptions.ContinueFrom"/>), ML.NET's retraining
/// pattern. The classes are checked before any data is read, the network's parameter names and shapes once it is built.
/// </summary>
internal static class ContinuedTraining
{
    /// <summary>Throws unless <paramref name="previous"/> was trained on the same classes in the same key order.</summary>
    public static void CheckLabels(TorchClassificationTransformer previous, LabelKeyInfo labels, string labelColumnName)
    {
        if (previous.Labels.ClassCount != labels.ClassCount)
        {
            throw new ArgumentException(
                $"{nameof(TorchTrainerOptions.ContinueFrom)}: the model was trained on {previous.Labels.ClassCount} classes, label column '{labelColumnName}' has {labels.ClassCount}.",
                nameof(TorchTrainerOptions.ContinueFrom));
        }
        if (previous.Labels.KeyValues is { } before && labels.KeyValues is { } now && !before.SequenceEqual(now))
        {
            int first = Enumerable.Range(0, before.Count).First(i => before[i] != now[i]);
            throw new ArgumentException(
                $"{nameof(TorchTrainerOptions.ContinueFrom)}: class {first} of label column '{labelColumnName}' is '{now[first]}', the model's is '{before[first]}'; map the labels with the model's key order.",
                nameof(TorchTrainerOptions.ContinueFrom));
        }
    }

    /// <summary>
    /// With <see cref="TorchTrainerOptions.ContinueWithOptimizerState"/>, throws unless <paramref name="previous"/> carries
    /// optimizer state of the optimizer type <paramref name="options"/> choose; before any data is read.
    /// </summary>
    public static void CheckOptimizerState(TorchClassificationTransformer previous, TorchTrainerOptions options)
    {
        if (!options.ContinueWithOptimizerState)
        {
            return;
        }
        const string option = nameof(TorchTrainerOptions.ContinueWithOptimizerState);
        if (previous.OptimizerState is not TrainedOptimizerState state)
        {
            throw new ArgumentException(
                $"{option}: the {nameof(TorchTrainerOptions.ContinueFrom)} model carries no optimizer state; train it with " +
                $"{nameof(TorchTrainerOptions.SaveOptimizerState)} = true, or leave {option} off to start the optimizer afresh.", option);
        }
        string now = TrainedOptimizerState.TypeName(options);
        if (state.OptimizerType != now)
        {
            throw new ArgumentException(
                $"{option}: the {nameof(TorchTrainerOptions.ContinueFrom)} model's optimizer state is of {state.OptimizerType}, these options choose {now}.", option);
        }
    }

    /// <summary>Copies every parameter and buffer of <paramref name="from"/> into <paramref name="to"/>, which must match it.</summary>
    public static void CopyWeights(TorchClassificationModel from, TorchClassificationModel to)
    {
        Dictionary<string, Tensor> source = CheckNetworks(from.Network, to.Network);
        using var noGrad = no_grad();
        foreach ((string name, Tensor value) in ModuleState.Unique(to.Network))
        {
            value.copy_(source[name]);
        }
    }

    /// <summary>
    /// Throws, naming <see cref="TorchTrainerOptions.ContinueFrom"/> and the tensors, when <paramref name="from"/>'s state
    /// does not fit <paramref name="to"/>'s names and shapes; returns <paramref name="from"/>'s state by name.
    /// </summary>
    public static Dictionary<string, Tensor> CheckNetworks(nn.Module from, nn.Module to)
    {
        Dictionary<string, Tensor> source = ModuleState.Unique(from).ToDictionary(e => e.Name, e => e.Value);
        var target = ModuleState.Unique(to).ToList();
        string[] missing = target.Select(e => e.Name).Where(n => !source.ContainsKey(n)).Take(5).ToArray();
        string[] extra = source.Keys.Except(target.Select(e => e.Name)).Take(5).ToArray();
        if (missing.Length > 0 || extra.Length > 0)
        {
            throw new ArgumentException(
                $"{nameof(TorchTrainerOptions.ContinueFrom)}: the model's network differs from the one these options build " +
                $"(only in the new network: {Names(missing)}; only in the model: {Names(extra)}).", nameof(TorchTrainerOptions.ContinueFrom));
        }
        foreach ((string name, Tensor value) in target)
        {
            Tensor saved = source[name];
            if (!saved.shape.SequenceEqual(value.shape))
            {
                throw new ArgumentException(
                    $"{nameof(TorchTrainerOptions.ContinueFrom)}: '{name}' is [{string.Join(", ", saved.shape)}] in the model but [{string.Join(", ", value.shape)}] in the network these options build.",
                    nameof(TorchTrainerOptions.ContinueFrom));
            }
        }
        return source;
    }

    private static string Names(string[] names) => names.Length == 0 ? "none" : string.Join(", ", names);
}

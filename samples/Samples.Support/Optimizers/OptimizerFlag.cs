using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Optimizers;

namespace Samples.Support;

/// <summary>
/// The samples' <c>--optimizer</c> flag: one name per optimizer of the library, each with a starting recipe for small
/// classification models (rates in each optimizer's usual scale; tune with the samples' <c>--lr</c>).
/// </summary>
public static class OptimizerFlag
{
    private static readonly Dictionary<string, Func<OptimizerOptions>> s_recipes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sgdm"] = () => new SgdOptions { LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4 },
        ["adam"] = () => new AdamOptions { LearningRate = 1e-3 },
        ["adamw"] = () => new AdamWOptions { LearningRate = 2e-3, WeightDecay = 0.05 },
        ["lion"] = () => new LionOptions { LearningRate = 3e-4, WeightDecay = 0.5 },
        ["lamb"] = () => new LambOptions { LearningRate = 1e-2, WeightDecay = 0.01 },
        ["lars"] = () => new LarsOptions { LearningRate = 0.5, Momentum = 0.9, WeightDecay = 5e-5 },
        ["adan"] = () => new AdanOptions { LearningRate = 3e-3, WeightDecay = 0.02 },
        ["adafactor"] = () => new AdafactorOptions { LearningRate = 1e-2 },
        ["schedulefree"] = () => new ScheduleFreeAdamWOptions { LearningRate = 5e-3, WeightDecay = 0.01 },
        ["muon"] = () => new MuonOptions { LearningRate = 0.02, WeightDecay = 0.01, FallbackLearningRate = 2e-3 },
        ["sophia"] = () => new SophiaOptions { LearningRate = 1e-3, WeightDecay = 0.1 },
    };

    /// <summary>The accepted names, in the order the help lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = s_recipes.Keys.ToArray();

    /// <summary>The recipe of <paramref name="name"/> (case ignored); throws naming the flag for an unknown name.</summary>
    public static OptimizerOptions Create(string name)
        => s_recipes.TryGetValue(name ?? string.Empty, out Func<OptimizerOptions>? recipe)
            ? recipe()
            : throw new ArgumentException($"--optimizer must be one of {string.Join(", ", Names)} (was '{name}').", nameof(name));
}

using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>Random search over an <see cref="OptimizerSearchSpace"/> with a seeded generator.</summary>
internal static class ConfigurationSampler
{
    /// <summary>
    /// Samples <paramref name="count"/> configurations. Every configuration consumes the same number of random draws
    /// whatever optimizer it picks (every dimension of the space is drawn), so the seed alone fixes the sequence
    /// (System.Random with a seed is stable across runs and platforms).
    /// </summary>
    public static IReadOnlyList<TrialConfiguration> Sample(OptimizerSearchSpace space, int count, int seed)
    {
        var random = new Random(seed);
        IReadOnlyList<(string Name, SearchRange Range)> dimensions = space.Dimensions();
        var configurations = new List<TrialConfiguration>(count);
        var drawn = new double[dimensions.Count];
        for (int i = 0; i < count; i++)
        {
            OptimizerCandidate candidate = space.Optimizers[random.Next(space.Optimizers.Count)];
            double learningRate = candidate.LearningRate.Sample(random);
            bool noDecay = random.NextDouble() < space.ZeroWeightDecayProbability;
            double decay = candidate.WeightDecay.Sample(random);
            for (int d = 0; d < dimensions.Count; d++)
            {
                drawn[d] = dimensions[d].Range.Sample(random);
            }
            var schedule = space.Schedules[random.Next(space.Schedules.Count)];
            // The candidate's own settings, in its order, each with the value of its dimension.
            KeyValuePair<string, double>[] settings = candidate.Hyperparameters
                .Select(h => KeyValuePair.Create(h.Key, drawn[IndexOf(dimensions, h.Key, h.Value)])).ToArray();
            configurations.Add(new TrialConfiguration(candidate.Name, candidate.Create(learningRate, noDecay ? 0 : decay, settings), settings, schedule.Clone()));
        }
        return configurations;
    }

    private static int IndexOf(IReadOnlyList<(string Name, SearchRange Range)> dimensions, string name, SearchRange range)
    {
        for (int d = 0; d < dimensions.Count; d++)
        {
            if (dimensions[d].Name == name && dimensions[d].Range == range)
            {
                return d;
            }
        }
        throw new InvalidOperationException($"No dimension {name} {range}.");
    }
}

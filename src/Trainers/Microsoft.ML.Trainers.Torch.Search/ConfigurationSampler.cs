using System;
using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>Random search over an <see cref="OptimizerSearchSpace"/> with a seeded generator.</summary>
internal static class ConfigurationSampler
{
    /// <summary>
    /// Samples <paramref name="count"/> configurations. Every configuration consumes the same number of random draws
    /// whatever optimizer it picks, so the seed alone fixes the sequence (System.Random with a seed is stable across
    /// runs and platforms).
    /// </summary>
    public static IReadOnlyList<TrialConfiguration> Sample(OptimizerSearchSpace space, int count, int seed)
    {
        var random = new Random(seed);
        var configurations = new List<TrialConfiguration>(count);
        for (int i = 0; i < count; i++)
        {
            OptimizerKind kind = space.Optimizers[random.Next(space.Optimizers.Count)];
            double learningRate = space.LearningRates[kind].Sample(random);
            bool noDecay = random.NextDouble() < space.ZeroWeightDecayProbability;
            double decay = space.WeightDecays[kind].Sample(random);
            double momentum = space.Momentum.Sample(random);
            double beta1 = space.Beta1.Sample(random);
            double beta2 = space.Beta2.Sample(random);
            double lionBeta2 = space.LionBeta2.Sample(random);
            var schedule = space.Schedules[random.Next(space.Schedules.Count)];
            bool sgd = kind == OptimizerKind.SgdMomentum;
            configurations.Add(new TrialConfiguration(kind, learningRate, noDecay ? 0 : decay,
                sgd ? momentum : null, sgd && space.Nesterov,
                sgd ? null : beta1, sgd ? null : kind == OptimizerKind.Lion ? lionBeta2 : beta2,
                schedule));
        }
        return configurations;
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.ML.Optimizers;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>
/// One optimizer of an <see cref="OptimizerSearchSpace"/>: the optimizer library's own options as a template, and the
/// ranges its learning rate, weight decay and other numeric settings are sampled from. A trial trains with a clone of
/// the template whose sampled settings are set through the options' own validating setters; settings not searched keep
/// the template's values (SGD's Nesterov flag, for example). Adding an optimizer to a search is adding a candidate:
/// <c>new OptimizerCandidate("RMSprop", new MyRmspropOptions()) { LearningRate = ..., Hyperparameters = ... }</c>.
/// </summary>
/// <param name="Name">Names the optimizer in the leaderboard, CSV and charts (e.g. <c>"AdamW"</c>); unique in a search space.</param>
/// <param name="Template">The options each trial clones; never changed by the search.</param>
public sealed record OptimizerCandidate(string Name, OptimizerOptions Template)
{
    /// <summary>The learning-rate range (log-uniform ranges suit learning rates; must be &gt; 0).</summary>
    public SearchRange LearningRate { get; init; } = SearchRange.LogUniform(1e-4, 1e-2);

    /// <summary>The weight-decay range when it is not 0 (see <see cref="OptimizerSearchSpace.ZeroWeightDecayProbability"/>).</summary>
    public SearchRange WeightDecay { get; init; } = SearchRange.LogUniform(1e-5, 1e-2);

    /// <summary>
    /// Other settings to sample, by the name of a <see cref="double"/> property of <see cref="Template"/> (e.g.
    /// <c>"Momentum"</c>, <c>"Beta1"</c>). A name and range listed by several candidates is one dimension of the search
    /// space: it is drawn once per configuration.
    /// </summary>
    public IReadOnlyDictionary<string, SearchRange> Hyperparameters { get; init; } = new Dictionary<string, SearchRange>();

    /// <summary>SGD with Nesterov momentum sampled in [0.8, 0.99]; learning rate 1e-3–0.5, coupled L2 decay 1e-5–1e-2.</summary>
    public static OptimizerCandidate SgdMomentum() => new("SgdMomentum", new SgdOptions { Momentum = 0.9, Nesterov = true })
    {
        LearningRate = SearchRange.LogUniform(1e-3, 0.5),
        WeightDecay = SearchRange.LogUniform(1e-5, 1e-2),
        Hyperparameters = new Dictionary<string, SearchRange> { [nameof(SgdOptions.Momentum)] = SearchRange.Uniform(0.8, 0.99) },
    };

    /// <summary>AdamW: learning rate 1e-4–1e-2, decoupled decay 1e-4–0.3, beta1 0.85–0.95, beta2 0.99–0.999.</summary>
    public static OptimizerCandidate AdamW() => new("AdamW", new AdamWOptions())
    {
        LearningRate = SearchRange.LogUniform(1e-4, 1e-2),
        WeightDecay = SearchRange.LogUniform(1e-4, 0.3),
        Hyperparameters = AdamBetas(),
    };

    /// <summary>Classic Adam with coupled L2 decay: learning rate 1e-4–1e-2, L2 1e-6–1e-3, beta1 0.85–0.95, beta2 0.99–0.999.</summary>
    public static OptimizerCandidate AdamL2() => new("AdamL2", new AdamOptions())
    {
        LearningRate = SearchRange.LogUniform(1e-4, 1e-2),
        WeightDecay = SearchRange.LogUniform(1e-6, 1e-3),
        Hyperparameters = AdamBetas(),
    };

    /// <summary>Lion: learning rate 1e-5–1e-3, decoupled decay 1e-3–1, beta1 0.85–0.95, beta2 0.99 (the paper's value).</summary>
    public static OptimizerCandidate Lion() => new("Lion", new LionOptions())
    {
        LearningRate = SearchRange.LogUniform(1e-5, 1e-3),
        WeightDecay = SearchRange.LogUniform(1e-3, 1.0),
        Hyperparameters = new Dictionary<string, SearchRange>
        {
            [nameof(LionOptions.Beta1)] = SearchRange.Uniform(0.85, 0.95),
            [nameof(LionOptions.Beta2)] = SearchRange.Fixed(0.99),
        },
    };

    /// <summary>LAMB (layer-wise trust ratio over Adam): learning rate 1e-3–3e-2, decoupled decay 1e-3–0.1.</summary>
    public static OptimizerCandidate Lamb() => new("LAMB", new LambOptions())
    {
        LearningRate = SearchRange.LogUniform(1e-3, 3e-2),
        WeightDecay = SearchRange.LogUniform(1e-3, 0.1),
    };

    /// <summary>LARS (layer-wise trust ratio over SGD momentum): learning rate 1e-2–2, decay 1e-5–1e-3, momentum 0.8–0.95.</summary>
    public static OptimizerCandidate Lars() => new("LARS", new LarsOptions { Momentum = 0.9 })
    {
        LearningRate = SearchRange.LogUniform(1e-2, 2.0),
        WeightDecay = SearchRange.LogUniform(1e-5, 1e-3),
        Hyperparameters = new Dictionary<string, SearchRange> { [nameof(LarsOptions.Momentum)] = SearchRange.Uniform(0.8, 0.95) },
    };

    /// <summary>Adan: learning rate 1e-4–1e-2 (Adam's scale), decoupled decay 1e-3–0.1.</summary>
    public static OptimizerCandidate Adan() => new("Adan", new AdanOptions())
    {
        LearningRate = SearchRange.LogUniform(1e-4, 1e-2),
        WeightDecay = SearchRange.LogUniform(1e-3, 0.1),
    };

    /// <summary>Adafactor (torch's, relative to the parameters' RMS): learning rate 1e-3–1e-1, decay 1e-4–1e-2.</summary>
    public static OptimizerCandidate Adafactor() => new("Adafactor", new AdafactorOptions())
    {
        LearningRate = SearchRange.LogUniform(1e-3, 1e-1),
        WeightDecay = SearchRange.LogUniform(1e-4, 1e-2),
    };

    /// <summary>
    /// Schedule-Free AdamW: learning rate 5e-4–2e-2 (its averaging tolerates rates several times AdamW's), decoupled decay
    /// 1e-4–0.1, beta1 0.85–0.95. It needs no decaying schedule; the search still pairs it with the space's schedules.
    /// </summary>
    public static OptimizerCandidate ScheduleFreeAdamW() => new("ScheduleFreeAdamW", new ScheduleFreeAdamWOptions())
    {
        LearningRate = SearchRange.LogUniform(5e-4, 2e-2),
        WeightDecay = SearchRange.LogUniform(1e-4, 0.1),
        Hyperparameters = new Dictionary<string, SearchRange> { [nameof(ScheduleFreeAdamWOptions.Beta1)] = SearchRange.Uniform(0.85, 0.95) },
    };

    /// <summary>
    /// Muon: learning rate 5e-3–5e-2 around Keller Jordan's 0.02 (the trainers' AdamW fallback keeps
    /// <see cref="MuonOptions.FallbackLearningRate"/>), decoupled decay 1e-3–0.1, momentum 0.9–0.97.
    /// </summary>
    public static OptimizerCandidate Muon() => new("Muon", new MuonOptions())
    {
        LearningRate = SearchRange.LogUniform(5e-3, 5e-2),
        WeightDecay = SearchRange.LogUniform(1e-3, 0.1),
        Hyperparameters = new Dictionary<string, SearchRange> { [nameof(MuonOptions.Momentum)] = SearchRange.Uniform(0.9, 0.97) },
    };

    /// <summary>SophiaG: learning rate 1e-4–1e-2, decoupled decay 1e-3–0.3, rho 0.01–0.1 (the paper's 0.03–0.04 inside).</summary>
    public static OptimizerCandidate Sophia() => new("SophiaG", new SophiaOptions())
    {
        LearningRate = SearchRange.LogUniform(1e-4, 1e-2),
        WeightDecay = SearchRange.LogUniform(1e-3, 0.3),
        Hyperparameters = new Dictionary<string, SearchRange> { [nameof(SophiaOptions.Rho)] = SearchRange.LogUniform(0.01, 0.1) },
    };

    /// <summary>
    /// Every optimizer of the library, each with its own ranges: SGD with Nesterov momentum, AdamW, Adam with L2, Lion,
    /// LAMB, LARS, Adan, Adafactor, Schedule-Free AdamW, Muon and SophiaG.
    /// </summary>
    public static IReadOnlyList<OptimizerCandidate> All() => new[]
    {
        SgdMomentum(), AdamW(), AdamL2(), Lion(), Lamb(), Lars(), Adan(), Adafactor(), ScheduleFreeAdamW(), Muon(), Sophia(),
    };

    /// <summary>A clone of <see cref="Template"/> with the given values; the options' setters reject values out of their range.</summary>
    internal OptimizerOptions Create(double learningRate, double weightDecay, IEnumerable<KeyValuePair<string, double>> hyperparameters)
    {
        OptimizerOptions options = Template.Clone();
        foreach ((string name, double value) in hyperparameters)
        {
            try
            {
                Setting(name).SetValue(options, value);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }
        options.LearningRate = learningRate;
        options.WeightDecay = weightDecay;
        return options;
    }

    /// <summary>Throws naming <paramref name="option"/> unless the ranges are valid and every end of every range is accepted by the template's setters.</summary>
    internal void Validate(string option)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException($"{option}.{nameof(Name)} must be set.", option);
        }
        if (Template is null)
        {
            throw new ArgumentNullException(option, $"{option}.{nameof(Template)} must be set.");
        }
        Require(LearningRate, $"{option}.{nameof(LearningRate)}").Validate($"{option}.{nameof(LearningRate)}", 0, double.MaxValue);
        if (LearningRate.Min <= 0)
        {
            throw new ArgumentOutOfRangeException(option, $"{option}.{nameof(LearningRate)} must be > 0 (was [{LearningRate.Min}, {LearningRate.Max}]).");
        }
        Require(WeightDecay, $"{option}.{nameof(WeightDecay)}").Validate($"{option}.{nameof(WeightDecay)}", 0, double.MaxValue);
        if (Hyperparameters is null)
        {
            throw new ArgumentNullException(option, $"{option}.{nameof(Hyperparameters)} must be set (it may be empty).");
        }
        foreach ((string name, SearchRange range) in Hyperparameters)
        {
            string where = $"{option}.{nameof(Hyperparameters)}[{name}]";
            Require(range, where).Validate(where, double.MinValue, double.MaxValue);
            if (name is nameof(OptimizerOptions.LearningRate) or nameof(OptimizerOptions.WeightDecay))
            {
                throw new ArgumentException($"{where}: set {option}.{name} instead.", option);
            }
            if (Template.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is not { CanWrite: true } property || property.PropertyType != typeof(double))
            {
                throw new ArgumentException($"{where}: {Template.GetType().Name} has no settable double property '{name}'.", option);
            }
            // The options' own setters know the valid values (e.g. 0 <= beta < 1): both ends must pass them.
            foreach (double end in new[] { range.Min, range.Max })
            {
                try
                {
                    Create(LearningRate.Min, WeightDecay.Min, new[] { KeyValuePair.Create(name, end) });
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentOutOfRangeException(option, $"{where} = {end} is rejected by {Template.GetType().Name}: {e.Message}");
                }
            }
        }
    }

    private static Dictionary<string, SearchRange> AdamBetas() => new()
    {
        [nameof(AdamFamilyOptions.Beta1)] = SearchRange.Uniform(0.85, 0.95),
        [nameof(AdamFamilyOptions.Beta2)] = SearchRange.Uniform(0.99, 0.999),
    };

    private PropertyInfo Setting(string name) => Template.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance)
        ?? throw new ArgumentException($"{Template.GetType().Name} has no property '{name}'.", name);

    private static SearchRange Require(SearchRange? range, string option)
        => range ?? throw new ArgumentNullException(option, $"{option} must be set.");
}

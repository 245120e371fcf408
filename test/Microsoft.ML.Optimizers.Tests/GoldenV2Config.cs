using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp.Modules;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>
/// Turns optim_v2_traces.json's reference descriptions (optimizer class name, constructor kwargs, per-group overrides)
/// into this library's options and groups. Absent kwargs keep our defaults, which must be the reference's.
/// </summary>
internal static class GoldenV2Config
{
    public static OptimizerOptions Options(string optimizer, JsonElement kwargs)
    {
        OptimizerOptions options = optimizer switch
        {
            "Lamb" => new LambOptions(),
            "Lars" => new LarsOptions(),
            "Adan" => new AdanOptions(),
            "Adafactor" => new AdafactorOptions(),
            "AdamWScheduleFree" => new ScheduleFreeAdamWOptions(),
            "SophiaG" => new SophiaOptions(),
            "Muon" => new MuonOptions(),
            _ => throw new AssertFailedException($"Unknown optimizer '{optimizer}' in golden data."),
        };
        foreach (JsonProperty kw in kwargs.EnumerateObject())
        {
            JsonElement v = kw.Value;
            switch (kw.Name, options)
            {
                case ("lr", _): options.LearningRate = v.GetDouble(); break;
                case ("weight_decay", _): options.WeightDecay = v.GetDouble(); break;
                case ("maximize", _): options.Maximize = v.GetBoolean(); break;

                case ("betas", LambOptions lamb): lamb.Beta1 = v[0].GetDouble(); lamb.Beta2 = v[1].GetDouble(); break;
                case ("eps", LambOptions lamb): lamb.Epsilon = v.GetDouble(); break;
                case ("bias_correction", LambOptions lamb): lamb.BiasCorrection = v.GetBoolean(); break;
                case ("grad_averaging", LambOptions lamb): lamb.GradientAveraging = v.GetBoolean(); break;
                case ("max_grad_norm", LambOptions lamb): lamb.MaxGradNorm = v.ValueKind == JsonValueKind.Null ? null : v.GetDouble(); break;
                case ("trust_clip", LambOptions lamb): lamb.TrustClip = v.GetBoolean(); break;
                case ("always_adapt", LambOptions lamb): lamb.AlwaysAdapt = v.GetBoolean(); break;
                case ("decoupled_decay", LambOptions lamb): lamb.DecoupledDecay = v.GetBoolean(); break;

                case ("momentum", LarsOptions lars): lars.Momentum = v.GetDouble(); break;
                case ("dampening", LarsOptions lars): lars.Dampening = v.GetDouble(); break;
                case ("nesterov", LarsOptions lars): lars.Nesterov = v.GetBoolean(); break;
                case ("trust_coeff", LarsOptions lars): lars.TrustCoefficient = v.GetDouble(); break;
                case ("eps", LarsOptions lars): lars.Epsilon = v.GetDouble(); break;
                case ("trust_clip", LarsOptions lars): lars.TrustClip = v.GetBoolean(); break;
                case ("always_adapt", LarsOptions lars): lars.AlwaysAdapt = v.GetBoolean(); break;

                case ("betas", AdanOptions adan):
                    adan.Beta1 = v[0].GetDouble();
                    adan.Beta2 = v[1].GetDouble();
                    adan.Beta3 = v[2].GetDouble();
                    break;
                case ("eps", AdanOptions adan): adan.Epsilon = v.GetDouble(); break;
                case ("no_prox", AdanOptions adan): adan.NoProx = v.GetBoolean(); break;

                case ("beta2_decay", AdafactorOptions adafactor): adafactor.Beta2Decay = v.GetDouble(); break;
                case ("d", AdafactorOptions adafactor): adafactor.ClipThreshold = v.GetDouble(); break;
                case ("eps", AdafactorOptions adafactor):
                    adafactor.Epsilon1 = v[0].ValueKind == JsonValueKind.Null ? null : v[0].GetDouble();
                    adafactor.Epsilon2 = v[1].GetDouble();
                    break;

                case ("betas", ScheduleFreeAdamWOptions sf): sf.Beta1 = v[0].GetDouble(); sf.Beta2 = v[1].GetDouble(); break;
                case ("eps", ScheduleFreeAdamWOptions sf): sf.Epsilon = v.GetDouble(); break;
                case ("warmup_steps", ScheduleFreeAdamWOptions sf): sf.WarmupSteps = v.GetInt64(); break;
                case ("r", ScheduleFreeAdamWOptions sf): sf.R = v.GetDouble(); break;
                case ("weight_lr_power", ScheduleFreeAdamWOptions sf): sf.WeightLrPower = v.GetDouble(); break;
                case ("inner_momentum", ScheduleFreeAdamWOptions sf): sf.InnerMomentum = v.GetDouble(); break;

                case ("betas", SophiaOptions sophia): sophia.Beta1 = v[0].GetDouble(); sophia.Beta2 = v[1].GetDouble(); break;
                case ("rho", SophiaOptions sophia): sophia.Rho = v.GetDouble(); break;

                case ("momentum", MuonOptions muon): muon.Momentum = v.GetDouble(); break;
                case ("nesterov", MuonOptions muon): muon.Nesterov = v.GetBoolean(); break;
                case ("eps", MuonOptions muon): muon.Epsilon = v.GetDouble(); break;
                case ("ns_steps", MuonOptions muon): muon.NewtonSchulzSteps = v.GetInt32(); break;
                case ("ns_coefficients", MuonOptions muon): muon.NewtonSchulzCoefficients = Json.Doubles(v); break;
                case ("adjust_lr_fn", MuonOptions muon):
                    muon.LearningRateAdjustment = v.ValueKind == JsonValueKind.Null || v.GetString() == "original"
                        ? MuonLearningRateAdjustment.Original
                        : v.GetString() == "match_rms_adamw" ? MuonLearningRateAdjustment.MatchRmsAdamW
                        : throw new AssertFailedException($"Unknown adjust_lr_fn '{v}' in golden data.");
                    break;
                // torch's addmm and its plain products compute the same iteration; ours always fuses the scaling.
                case ("use_addmm", MuonOptions): break;

                default: throw new AssertFailedException($"Unsupported {optimizer} argument '{kw.Name}' in golden data.");
            }
        }
        return options;
    }

    /// <summary>Applies <c>extra.ns_dtype</c> (Muon's Newton–Schulz type: "param" or "bfloat16").</summary>
    public static void ApplyNewtonSchulzType(OptimizerOptions options, JsonElement extra)
    {
        if (Json.Optional(extra, "ns_dtype") is not JsonElement type)
        {
            return;
        }
        if (options is not MuonOptions muon)
        {
            throw new AssertFailedException("ns_dtype given for an optimizer other than Muon.");
        }
        muon.NewtonSchulzInBFloat16 = type.GetString() switch
        {
            "param" => false,
            "bfloat16" => true,
            string other => throw new AssertFailedException($"Unknown ns_dtype '{other}' in golden data."),
            null => throw new AssertFailedException("ns_dtype is not a string."),
        };
    }

    /// <summary>Applies <c>extra.step_kwargs</c> (the reference's <c>step(...)</c> arguments) to the options.</summary>
    public static void ApplyStepArguments(OptimizerOptions options, JsonElement extra)
    {
        if (Json.Optional(extra, "step_kwargs") is not JsonElement arguments)
        {
            return;
        }
        foreach (JsonProperty argument in arguments.EnumerateObject())
        {
            switch (argument.Name, options)
            {
                case ("bs", SophiaOptions sophia): sophia.BatchSize = argument.Value.GetDouble(); break;
                default: throw new AssertFailedException($"Unsupported step() argument '{argument.Name}' in golden data.");
            }
        }
    }

    /// <summary>The groups of <c>extra.param_groups</c>: tensor indices plus per-group lr / weight_decay overrides.</summary>
    public static List<(ParameterGroup Group, int[] Tensors)> Groups(JsonElement extra, IReadOnlyList<Parameter> parameters)
    {
        var result = new List<(ParameterGroup, int[])>();
        foreach (JsonElement group in Json.Required(extra, "param_groups").EnumerateArray())
        {
            int[] tensors = Json.Longs(Json.Required(group, "params")).Select(i => (int)i).ToArray();
            double? lr = null, wd = null;
            foreach (JsonProperty p in group.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "params": break;
                    case "lr": lr = p.Value.GetDouble(); break;
                    case "weight_decay": wd = p.Value.GetDouble(); break;
                    default: throw new AssertFailedException($"Unsupported per-group setting '{p.Name}' in golden data.");
                }
            }
            result.Add((new ParameterGroup(tensors.Select(i => parameters[i]), learningRate: lr, weightDecay: wd), tensors));
        }
        return result;
    }
}

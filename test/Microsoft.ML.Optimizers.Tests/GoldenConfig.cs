using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp.Modules;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>Turns the golden files' PyTorch-style descriptions (optimizer, kwargs, extra) into our options.</summary>
internal static class GoldenConfig
{
    public static OptimizerOptions Options(string optimizer, JsonElement kwargs)
    {
        OptimizerOptions options = optimizer switch
        {
            "AdamW" => new AdamWOptions(),
            "Adam" => new AdamOptions(),
            "SGD" => new SgdOptions(),
            "Lion" => new LionOptions(),
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
                case ("betas", AdamFamilyOptions adam):
                    adam.Beta1 = v[0].GetDouble();
                    adam.Beta2 = v[1].GetDouble();
                    break;
                case ("betas", LionOptions lion):
                    lion.Beta1 = v[0].GetDouble();
                    lion.Beta2 = v[1].GetDouble();
                    break;
                case ("eps", AdamFamilyOptions adam): adam.Epsilon = v.GetDouble(); break;
                case ("amsgrad", AdamFamilyOptions adam): adam.AmsGrad = v.GetBoolean(); break;
                case ("momentum", SgdOptions sgd): sgd.Momentum = v.GetDouble(); break;
                case ("dampening", SgdOptions sgd): sgd.Dampening = v.GetDouble(); break;
                case ("nesterov", SgdOptions sgd): sgd.Nesterov = v.GetBoolean(); break;
                default: throw new AssertFailedException($"Unsupported {optimizer} argument '{kw.Name}' in golden data.");
            }
        }
        return options;
    }

    public static List<ParameterGroup> Groups(JsonElement extra, IReadOnlyList<Parameter> parameters)
    {
        if (Json.Optional(extra, "groups") is not JsonElement groups)
        {
            return new List<ParameterGroup> { new(parameters) };
        }
        string type = Json.Required(groups, "type").GetString()!;
        if (type != "no_decay_for_1d")
        {
            throw new AssertFailedException($"Unknown group rule '{type}' in golden data.");
        }
        return new List<ParameterGroup>
        {
            new(parameters.Where(p => p.dim() > 1)),
            new(parameters.Where(p => p.dim() <= 1), weightDecay: 0.0),
        };
    }

    public static ScheduleOptions? Schedule(JsonElement extra)
    {
        if (Json.Optional(extra, "schedule") is not JsonElement schedule)
        {
            return null;
        }
        string type = Json.Required(schedule, "type").GetString()!;
        switch (type)
        {
            case "linear_warmup_cosine":
                return new WarmupCosineSchedule { WarmupSteps = Json.Required(schedule, "warmup_steps").GetInt64() };
            case "one_cycle":
                var oneCycle = new OneCycleSchedule { MaxLearningRate = Json.Required(schedule, "max_lr").GetDouble() };
                foreach (JsonProperty p in schedule.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case "pct_start": oneCycle.PctStart = p.Value.GetDouble(); break;
                        case "anneal": oneCycle.AnnealStrategy = p.Value.GetString() == "linear" ? AnnealStrategy.Linear : AnnealStrategy.Cosine; break;
                        case "div_factor": oneCycle.DivFactor = p.Value.GetDouble(); break;
                        case "final_div_factor": oneCycle.FinalDivFactor = p.Value.GetDouble(); break;
                        case "cycle_momentum": oneCycle.CycleMomentum = p.Value.GetBoolean(); break;
                        case "base_momentum": oneCycle.BaseMomentum = p.Value.GetDouble(); break;
                        case "max_momentum": oneCycle.MaxMomentum = p.Value.GetDouble(); break;
                        case "three_phase": oneCycle.ThreePhase = p.Value.GetBoolean(); break;
                    }
                }
                return oneCycle;
            default:
                throw new AssertFailedException($"Unknown schedule '{type}' in golden data.");
        }
    }

    public static long ScheduleTotalSteps(JsonElement extra, int steps) =>
        Json.Optional(extra, "schedule") is JsonElement s && Json.Optional(s, "total_steps") is JsonElement t ? t.GetInt64() : steps;
}

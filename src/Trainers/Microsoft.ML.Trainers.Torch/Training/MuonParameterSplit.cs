using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Optimizers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Which parameters Muon updates and which go to its AdamW fallback (Keller Jordan's recipe): Muon takes the hidden 2-D
/// weight matrices and convolution kernels (which the optimizer orthogonalizes as out × rest matrices); embeddings (every parameter of an <c>Embedding</c> or <c>EmbeddingBag</c> module), the classifier
/// head (<see cref="TorchClassificationModel.HeadModuleName"/>), biases and normalization weights go to the fallback.
/// </summary>
internal static class MuonParameterSplit
{
    /// <summary>Splits <paramref name="named"/> (names as in <paramref name="network"/>'s <c>named_parameters</c>), keeping their order.</summary>
    public static (List<(string Name, Parameter Parameter)> Muon, List<(string Name, Parameter Parameter)> Fallback) Split(
        IEnumerable<(string name, Parameter parameter)> named, nn.Module network, string? headModuleName)
    {
        var embeddingPrefixes = network.named_modules()
            .Where(m => m.module is Embedding or EmbeddingBag)
            .Select(m => m.name + ".")
            .ToList();
        string? headPrefix = string.IsNullOrEmpty(headModuleName) ? null : headModuleName + ".";
        var list = named.ToList();
        // Biases and norms by the same rule that exempts them from weight decay.
        var biasesAndNorms = new HashSet<Parameter>(ParameterGroup.SplitNoDecay(list)[1].Parameters, ReferenceEqualityComparer.Instance);
        var muon = new List<(string, Parameter)>();
        var fallback = new List<(string, Parameter)>();
        foreach ((string name, Parameter parameter) in list)
        {
            bool toFallback = parameter.dim() < 2
                || biasesAndNorms.Contains(parameter)
                || (headPrefix != null && name.StartsWith(headPrefix, StringComparison.Ordinal))
                || embeddingPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal));
            (toFallback ? fallback : muon).Add((name, parameter));
        }
        return (muon, fallback);
    }
}

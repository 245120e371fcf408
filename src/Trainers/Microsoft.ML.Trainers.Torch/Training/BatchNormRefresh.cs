using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Recomputes BatchNorm running statistics for the weights the model ends with (PreciseBN). Schedule-Free AdamW trains
/// at one point and evaluates at another, so the statistics gathered during training describe the wrong weights; the
/// Schedule-Free authors recommend a few forward passes at the evaluation point before evaluating. Each BatchNorm layer
/// restarts its statistics and averages them cumulatively (momentum null) over the batches, in train mode, while
/// every other module (dropout) stays in eval mode; nothing is learned.
/// </summary>
internal static class BatchNormRefresh
{
    /// <summary>True when the network has a BatchNorm layer (the engine's <see cref="GcSafeBatchNorm"/>, which every model here uses) that tracks running statistics.</summary>
    public static bool Applies(nn.Module network) => BatchNorms(network).Any();

    /// <summary>Runs each forward pass of <paramref name="batches"/> with the statistics being re-estimated; returns the batches run.</summary>
    public static int Run(nn.Module network, IEnumerable<Action> batches)
    {
        List<GcSafeBatchNorm> norms = BatchNorms(network).ToList();
        if (norms.Count == 0)
        {
            return 0;
        }
        var momenta = norms.Select(n => n.momentum).ToList();
        int count = 0;
        try
        {
            network.eval();
            foreach (GcSafeBatchNorm norm in norms)
            {
                norm.reset_running_stats();
                norm.momentum = null;
                norm.train();
            }
            using var noGrad = no_grad();
            foreach (Action forward in batches)
            {
                using var scope = NewDisposeScope();
                forward();
                count++;
            }
        }
        finally
        {
            for (int i = 0; i < norms.Count; i++)
            {
                norms[i].momentum = momenta[i];
            }
            network.eval();
        }
        return count;
    }

    private static IEnumerable<GcSafeBatchNorm> BatchNorms(nn.Module network)
        => network.modules().OfType<GcSafeBatchNorm>().Where(n => n.track_running_stats);
}

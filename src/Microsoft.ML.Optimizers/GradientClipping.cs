using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Global-norm gradient clipping over the flat gradient buffers, in the shape of PyTorch's
/// <c>torch/nn/utils/clip_grad.py</c>: <see cref="TotalNorm"/> (<c>get_total_norm</c>), <see cref="Coefficient"/> and
/// <see cref="ScaleGradients"/> (<c>clip_grads_with_norm_</c>). Only dense buckets take part: sparse-rule groups keep
/// their gradients out of the norm and unscaled.
/// </summary>
internal static class GradientClipping
{
    /// <summary>
    /// Clips the gradients of <paramref name="buckets"/> to total L2 norm <paramref name="maxNorm"/>; returns the norm
    /// before clipping (0 when no gradient exists). Must run under <c>no_grad</c> in a dispose scope.
    /// </summary>
    public static double ClipByTotalNorm(IReadOnlyList<FlatBucket> buckets, double maxNorm)
    {
        var segmentsByBucket = new List<Segment<NoRunKey>>?[buckets.Count];
        (double norm, bool any, bool allSingle) = TotalNorm(buckets, segmentsByBucket);
        if (!any)
        {
            return 0.0;
        }
        double coefficient = Coefficient(norm, maxNorm, allSingle);
        if (!(coefficient >= 1.0))
        {
            ScaleGradients(buckets, segmentsByBucket, coefficient);
        }
        return norm;
    }

    /// <summary>
    /// The L2 norm of all gradients together, summed in float64 piece by piece: float32 accumulation over millions of
    /// values loses digits, and converting a whole buffer to float64 at once would double its memory. Fills
    /// <paramref name="segmentsByBucket"/> with the runs of gradients found (null for buckets without any).
    /// </summary>
    public static (double Norm, bool Any, bool AllSingle) TotalNorm(IReadOnlyList<FlatBucket> buckets, List<Segment<NoRunKey>>?[] segmentsByBucket)
    {
        double sumOfSquares = 0;
        bool any = false;
        bool allSingle = true;
        for (int b = 0; b < buckets.Count; b++)
        {
            FlatBucket bucket = buckets[b];
            if (bucket.GatherGrads() == 0)
            {
                continue;
            }
            any = true;
            allSingle &= bucket.DType == ScalarType.Float32;
            var segments = new List<Segment<NoRunKey>>();
            bucket.BuildSegments(static _ => default(NoRunKey), segments);
            segmentsByBucket[b] = segments;
            Tensor[] totals = Array.Empty<Tensor>();
            ChunkExecutor.ForEach(bucket, segments, workers =>
            {
                totals = Enumerable.Range(0, workers).Select(_ => torch.zeros(Array.Empty<long>(), ScalarType.Float64, bucket.Device)).ToArray();
            },
            (segmentIndex, offset, length, worker) =>
            {
                // Squares summed by ATen's (pairwise) reduction in float64; not BLAS dot, whose own threading would
                // start a thread team per worker.
                Tensor wide = bucket.Scratch(Workspace.Float64, worker, length).copy_(bucket.Grads.narrow(0, offset, length));
                totals[worker].add_(wide.mul_(wide).sum(), Scalars.One);
            });
            foreach (Tensor total in totals)
            {
                sumOfSquares += total.item<double>();
            }
        }
        return (Math.Sqrt(sumOfSquares), any, allSingle);
    }

    /// <summary>
    /// <c>min(1, maxNorm / (norm + 1e-6))</c> rounded as PyTorch rounds it: it computes
    /// <c>reciprocal(total_norm + 1e-6) * max_norm</c> on a tensor of the gradients' type, then clamps it to 1.
    /// </summary>
    public static double Coefficient(double norm, double maxNorm, bool allSingle)
    {
        if (allSingle)
        {
            float reciprocal = 1f / ((float)norm + 1e-6f);
            return Math.Min(reciprocal * (float)maxNorm, 1f);
        }
        return Math.Min(1.0 / (norm + 1e-6) * maxNorm, 1.0);
    }

    /// <summary>Multiplies the gradient runs found by <see cref="TotalNorm"/> by <paramref name="coefficient"/>.</summary>
    public static void ScaleGradients(IReadOnlyList<FlatBucket> buckets, List<Segment<NoRunKey>>?[] segmentsByBucket, double coefficient)
    {
        using Scalar c = coefficient.ToScalar();
        for (int b = 0; b < buckets.Count; b++)
        {
            if (segmentsByBucket[b] is not List<Segment<NoRunKey>> segments)
            {
                continue;
            }
            foreach (Segment<NoRunKey> segment in segments)
            {
                using Tensor grads = buckets[b].Slice(buckets[b].Grads, segment);
                grads.mul_(c);
            }
        }
    }
}

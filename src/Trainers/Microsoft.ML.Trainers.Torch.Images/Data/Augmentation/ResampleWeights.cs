using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// One axis of an antialiased bilinear resize: for each output index, the first input index, the number of taps and
/// their normalized triangle-filter weights. Same arithmetic as PIL's <c>precompute_coeffs</c> and aten's
/// <c>_compute_indices_weights_aa</c> (support = max(scale, 1), truncating casts), so the taps match torchvision's.
/// </summary>
internal sealed class ResampleWeights
{
    private ResampleWeights(int[] start, int[] count, float[] weights, int taps)
    {
        Start = start;
        Count = count;
        Weights = weights;
        Taps = taps;
    }

    /// <summary>First input index of each output index.</summary>
    public int[] Start { get; }

    /// <summary>Taps used by each output index.</summary>
    public int[] Count { get; }

    /// <summary><see cref="Taps"/> weights per output index (unused ones zero), summing to 1.</summary>
    public float[] Weights { get; }

    /// <summary>Stride of <see cref="Weights"/>: the most taps any output index can use.</summary>
    public int Taps { get; }

    public static ResampleWeights Compute(int inputSize, int outputSize)
    {
        double scale = (double)inputSize / outputSize;
        // Shrinking widens the triangle (and lowers its peak) by the scale: the antialias. Enlarging keeps support 1,
        // which is plain bilinear.
        double support = scale >= 1 ? scale : 1.0;
        double invScale = scale >= 1 ? 1.0 / scale : 1.0;
        int taps = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outputSize];
        var count = new int[outputSize];
        var weights = new float[outputSize * taps];
        Span<double> w = taps <= 256 ? stackalloc double[taps] : new double[taps];
        for (int i = 0; i < outputSize; i++)
        {
            double center = (i + 0.5) * scale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inputSize) - xmin;
            double total = 0;
            for (int j = 0; j < xmax; j++)
            {
                double value = Math.Max(0.0, 1.0 - Math.Abs((j + xmin - center + 0.5) * invScale));
                w[j] = value;
                total += value;
            }
            start[i] = xmin;
            count[i] = xmax;
            for (int j = 0; j < xmax; j++)
            {
                weights[i * taps + j] = total > 0 ? (float)(w[j] / total) : 0f;
            }
        }
        return new ResampleWeights(start, count, weights, taps);
    }
}

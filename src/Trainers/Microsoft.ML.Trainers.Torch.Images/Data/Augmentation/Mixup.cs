using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// timm's <c>Mixup</c> in batch mode: with probability <c>probability</c> a batch is mixed with its own reverse, by mixup
/// (λ·x + (1 − λ)·flip(x), λ ~ Beta(α, α)) or CutMix (a box of area ≈ (1 − λ) pasted from flip(x), λ then corrected to the
/// box actually pasted), chosen with <c>switchProbability</c> when both alphas are set. The soft targets are
/// λ·onehot(y) + (1 − λ)·onehot(flip(y)) with label smoothing (off value ε/K, on value 1 − ε + ε/K).
/// </summary>
internal sealed class Mixup
{
    public Mixup(double mixupAlpha, double cutMixAlpha, double switchProbability = 0.5, double probability = 1.0, double labelSmoothing = 0)
    {
        if (!(double.IsFinite(mixupAlpha) && mixupAlpha >= 0))
        {
            throw new ArgumentOutOfRangeException("MixupAlpha", $"MixupAlpha must be finite and at least 0 (was {mixupAlpha}).");
        }
        if (!(double.IsFinite(cutMixAlpha) && cutMixAlpha >= 0))
        {
            throw new ArgumentOutOfRangeException("CutMixAlpha", $"CutMixAlpha must be finite and at least 0 (was {cutMixAlpha}).");
        }
        if (mixupAlpha == 0 && cutMixAlpha == 0)
        {
            throw new ArgumentException("Mixup needs MixupAlpha or CutMixAlpha above 0.", "MixupAlpha");
        }
        if (!(switchProbability >= 0 && switchProbability <= 1))
        {
            throw new ArgumentOutOfRangeException("MixupSwitchProbability", $"MixupSwitchProbability must be in [0, 1] (was {switchProbability}).");
        }
        if (!(probability >= 0 && probability <= 1))
        {
            throw new ArgumentOutOfRangeException("MixupProbability", $"MixupProbability must be in [0, 1] (was {probability}).");
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
        {
            throw new ArgumentOutOfRangeException("LabelSmoothing", $"LabelSmoothing must be in [0, 1) (was {labelSmoothing}).");
        }
        MixupAlpha = mixupAlpha;
        CutMixAlpha = cutMixAlpha;
        SwitchProbability = switchProbability;
        Probability = probability;
        LabelSmoothing = labelSmoothing;
    }

    public double MixupAlpha { get; }
    public double CutMixAlpha { get; }
    public double SwitchProbability { get; }
    public double Probability { get; }
    public double LabelSmoothing { get; }

    /// <summary>timm's <c>_params_per_batch</c>: λ (1 when the batch is not mixed) and whether CutMix is used.</summary>
    public (double Lambda, bool CutMix) SampleParameters(Random random)
    {
        if (!(random.NextDouble() < Probability))
        {
            return (1, false);
        }
        bool cutMix = MixupAlpha > 0 && CutMixAlpha > 0 ? random.NextDouble() < SwitchProbability : MixupAlpha == 0;
        return (SampleBeta(random, cutMix ? CutMixAlpha : MixupAlpha), cutMix);
    }

    /// <summary>
    /// timm's <c>rand_bbox</c> + <c>cutmix_bbox_and_lam</c>: a box with sides ⌊side·√(1 − λ)⌋ centred on a uniform pixel,
    /// clipped to the image, and λ corrected to 1 − box area / image area.
    /// </summary>
    public static (int Top, int Bottom, int Left, int Right, double Lambda) CutMixBox(int height, int width, double lambda, Random random)
    {
        double ratio = Math.Sqrt(1 - lambda);
        int cutH = (int)(height * ratio), cutW = (int)(width * ratio);
        int cy = random.Next(0, height), cx = random.Next(0, width);
        int top = Math.Clamp(cy - cutH / 2, 0, height), bottom = Math.Clamp(cy + cutH / 2, 0, height);
        int left = Math.Clamp(cx - cutW / 2, 0, width), right = Math.Clamp(cx + cutW / 2, 0, width);
        double corrected = 1 - (double)(bottom - top) * (right - left) / ((double)height * width);
        return (top, bottom, left, right, corrected);
    }

    /// <summary>timm's <c>mixup_target</c>: examples × classes, row-major.</summary>
    public static float[] Targets(IReadOnlyList<long> labels, int classCount, double lambda, double smoothing)
    {
        int n = labels.Count;
        double off = smoothing / classCount, on = 1 - smoothing + off;
        float[] targets = new float[n * classCount];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < classCount; k++)
            {
                double first = labels[i] == k ? on : off;
                double second = labels[n - 1 - i] == k ? on : off;
                targets[i * classCount + k] = (float)(first * lambda + second * (1 - lambda));
            }
        }
        return targets;
    }

    /// <summary>Mixes the batch (the first input, N × C × H × W) and builds its soft targets.</summary>
    public MixedBatch Apply(IReadOnlyList<Tensor> inputs, Tensor labels, int classCount, Random random)
    {
        Tensor x = inputs[0];
        (double lambda, bool cutMix) = SampleParameters(random);
        Tensor mixed = x;
        if (lambda < 1)
        {
            Tensor flipped = x.flip(0);
            if (cutMix)
            {
                var (top, bottom, left, right, corrected) = CutMixBox((int)x.shape[2], (int)x.shape[3], lambda, random);
                mixed = x.clone();
                if (bottom > top && right > left)
                {
                    mixed.narrow(2, top, bottom - top).narrow(3, left, right - left)
                        .copy_(flipped.narrow(2, top, bottom - top).narrow(3, left, right - left));
                }
                lambda = corrected;
            }
            else
            {
                // lerp from the reversed batch towards the batch by λ: λ·x + (1 − λ)·flip(x). A tensor weight: TorchSharp's
                // Scalar overload of lerp throws.
                Tensor weight = tensor(lambda, dtype: x.dtype, device: x.device);
                mixed = flipped.lerp(x, weight);
            }
        }
        long[] hard = labels.cpu().data<long>().ToArray();
        Tensor targets = tensor(Targets(hard, classCount, lambda, LabelSmoothing), new long[] { hard.Length, classCount }, device: x.device);
        return new MixedBatch(new[] { mixed }.Concat(inputs.Skip(1)).ToList(), targets);
    }

    /// <summary>Beta(α, α) as X / (X + Y) of two Gamma(α) draws.</summary>
    public static double SampleBeta(Random random, double alpha)
    {
        double x = SampleGamma(random, alpha), y = SampleGamma(random, alpha);
        return x + y > 0 ? x / (x + y) : 0.5;
    }

    /// <summary>Marsaglia and Tsang's Gamma(shape, 1); shapes below 1 through Gamma(shape + 1)·U^(1/shape).</summary>
    private static double SampleGamma(Random random, double shape)
    {
        if (shape < 1)
        {
            return SampleGamma(random, shape + 1) * Math.Pow(1.0 - random.NextDouble(), 1 / shape);
        }
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double z, v;
            do
            {
                z = StandardNormal(random);
                v = 1 + c * z;
            }
            while (v <= 0);
            v = v * v * v;
            double u = 1.0 - random.NextDouble();
            if (Math.Log(u) < 0.5 * z * z + d - d * v + d * Math.Log(v))
            {
                return d * v;
            }
        }
    }

    private static double StandardNormal(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

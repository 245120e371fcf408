using System;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// A fit's random streams, each a pure function of the seed and where the loop is (epoch, step), so the state of all of
/// them is just those counters: a resumed run draws exactly what an uninterrupted one would, and no generator state needs
/// saving. Seeds are mixed with SplitMix64 (Steele, Lea and Flood 2014), whose outputs for nearby inputs are unrelated.
/// </summary>
internal readonly struct RandomStreams
{
    private const long ShuffleStream = 1, AugmentStream = 2, TorchStream = 3, RefreshStream = 4;

    private readonly long _seed;

    public RandomStreams(int seed) => _seed = seed;

    /// <summary>The shuffle of epoch <paramref name="epoch"/> (1-based).</summary>
    public Random Shuffle(int epoch) => new(ToInt(Mix(ShuffleStream, epoch, 0)));

    /// <summary>Training augmentation of step <paramref name="step"/> (0-based) of epoch <paramref name="epoch"/>.</summary>
    public Random Augment(int epoch, int step) => new(ToInt(Mix(AugmentStream, epoch, step)));

    /// <summary>The torch generator's seed for step <paramref name="step"/> of epoch <paramref name="epoch"/> (dropout, sampling).</summary>
    public long TorchSeed(int epoch, int step) => Mix(TorchStream, epoch, step) & long.MaxValue;

    /// <summary>The augmentation of the BatchNorm refresh after training.</summary>
    public Random Refresh() => new(ToInt(Mix(RefreshStream, 0, 0)));

    private long Mix(long stream, long epoch, long step)
    {
        ulong h = SplitMix((ulong)_seed);
        h = SplitMix(h ^ (ulong)stream);
        h = SplitMix(h ^ (ulong)epoch);
        return (long)SplitMix(h ^ (ulong)step);
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    private static int ToInt(long value) => (int)(value & int.MaxValue);
}

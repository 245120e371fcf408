using System;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Stable hashes for n-gram features: FNV-1a over UTF-16 code units, combined for word sequences and
/// finished with a 64-bit mixer before the modulo. Unlike <see cref="string.GetHashCode()"/> they are
/// the same in every process, so a saved model keeps its features.
/// </summary>
internal static class NgramHashing
{
    /// <summary>Seed that keeps character n-grams apart from words with the same spelling.</summary>
    public const ulong CharNgramSeed = 0x9E3779B97F4A7C15UL;

    /// <summary>FNV-1a (64-bit) of <paramref name="text"/>, starting from <paramref name="seed"/>.</summary>
    public static ulong Hash(ReadOnlySpan<char> text, ulong seed = 0)
    {
        ulong h = 14695981039346656037UL ^ seed;
        foreach (char c in text)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return h;
    }

    /// <summary>Extends the hash of a word sequence by one more word (fastText's multiplier).</summary>
    public static ulong Combine(ulong sequence, ulong word) => sequence * 116049371UL + word;

    /// <summary>The bucket of a hash: mixed (so that combined hashes spread evenly), then modulo.</summary>
    public static int Bucket(ulong hash, int buckets)
    {
        // MurmurHash3's 64-bit finalizer.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return (int)(hash % (ulong)buckets);
    }
}

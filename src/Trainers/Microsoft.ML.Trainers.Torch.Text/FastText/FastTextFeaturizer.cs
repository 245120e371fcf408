using System;
using System.Collections.Generic;
using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Turns text into the bucket ids a <see cref="FastTextClassifier"/> averages: hashed words, word
/// n-grams up to <see cref="FastTextOptions.WordNgrams"/>, and optional character n-grams.
/// </summary>
/// <remarks>
/// Words come from Microsoft.ML.Tokenizers' word-or-non-word pre-tokenizer (<c>\w+|[^\w\s]+</c>) on the
/// lowercased text: runs of letters, digits and underscores, and runs of other symbols, so "FREE!!!"
/// gives "free" and "!!!" - punctuation runs and currency signs are useful features for spam. No
/// vocabulary is built; hashing keeps the featurizer stateless, so it is fully described by its options.
/// A text with no words gets one reserved "empty" feature so that it still has a learned vector.
/// </remarks>
public sealed class FastTextFeaturizer
{
    private static readonly PreTokenizer s_words = PreTokenizer.CreateWordOrNonWord();
    private readonly FastTextOptions _options;
    private readonly int _emptyBucket;

    /// <summary>Creates a featurizer for <paramref name="options"/>.</summary>
    public FastTextFeaturizer(FastTextOptions options)
    {
        options.Validate();
        _options = options;
        _emptyBucket = NgramHashing.Bucket(NgramHashing.Hash("\u0000<empty>"), options.Buckets);
    }

    /// <summary>The options the features follow.</summary>
    public FastTextOptions Options => _options;

    /// <summary>The bucket ids of <paramref name="text"/> (null is empty), in text order: for each word, the word, then the n-grams ending at it, then its character n-grams.</summary>
    public int[] Featurize(string? text)
    {
        var features = new List<int>();
        if (!string.IsNullOrEmpty(text))
        {
            string normalized = _options.LowerCase ? text.ToLowerInvariant() : text;
            int buckets = _options.Buckets;
            var previous = new ulong[_options.WordNgrams - 1];
            int seen = 0;
            foreach ((int offset, int length) in s_words.PreTokenize(normalized))
            {
                if (seen >= _options.MaxTokens)
                {
                    break;
                }
                ReadOnlySpan<char> word = normalized.AsSpan(offset, length);
                ulong h = NgramHashing.Hash(word);
                features.Add(NgramHashing.Bucket(h, buckets));
                // n-grams ending at this word: previous[0] is the word before, previous[1] the one before that, ...
                ulong sequence = h;
                for (int n = 0; n < previous.Length && n < seen; n++)
                {
                    sequence = NgramHashing.Combine(sequence, previous[n]);
                    features.Add(NgramHashing.Bucket(sequence, buckets));
                }
                for (int n = previous.Length - 1; n > 0; n--)
                {
                    previous[n] = previous[n - 1];
                }
                if (previous.Length > 0)
                {
                    previous[0] = h;
                }
                AddCharNgrams(word, features);
                seen++;
            }
        }
        if (features.Count == 0)
        {
            features.Add(_emptyBucket);
        }
        return features.ToArray();
    }

    /// <summary>
    /// Featurizes a batch into <see cref="FastTextClassifier"/> inputs: int64 bucket ids of all rows
    /// concatenated, and int64 offsets where each row starts. The caller owns the tensors.
    /// </summary>
    public (Tensor Indices, Tensor Offsets) Batch(IReadOnlyList<string?> texts)
    {
        var rows = new int[texts.Count][];
        for (int i = 0; i < texts.Count; i++)
        {
            rows[i] = Featurize(texts[i]);
        }
        return ToTensors(rows);
    }

    /// <summary>Packs featurized rows (from <see cref="Featurize"/>) into indices and offsets tensors.</summary>
    public static (Tensor Indices, Tensor Offsets) ToTensors(IReadOnlyList<int[]> rows)
    {
        long total = 0;
        var offsets = new long[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            offsets[i] = total;
            total += rows[i].Length;
        }
        var indices = new long[total];
        long at = 0;
        foreach (int[] row in rows)
        {
            for (int j = 0; j < row.Length; j++)
            {
                indices[at++] = row[j];
            }
        }
        return (tensor(indices, ScalarType.Int64), tensor(offsets, ScalarType.Int64));
    }

    private void AddCharNgrams(ReadOnlySpan<char> word, List<int> features)
    {
        int min = _options.CharNgramMinLength;
        if (min == 0)
        {
            return;
        }
        // fastText's subwords: n-grams of the word wrapped in '<' and '>'.
        Span<char> wrapped = word.Length + 2 <= 256 ? stackalloc char[word.Length + 2] : new char[word.Length + 2];
        wrapped[0] = '<';
        word.CopyTo(wrapped.Slice(1));
        wrapped[^1] = '>';
        int max = _options.CharNgramMaxLength;
        for (int n = min; n <= max && n <= wrapped.Length; n++)
        {
            for (int start = 0; start + n <= wrapped.Length; start++)
            {
                if (n == wrapped.Length)
                {
                    continue;  // the whole wrapped word duplicates the word feature
                }
                features.Add(NgramHashing.Bucket(NgramHashing.Hash(wrapped.Slice(start, n), NgramHashing.CharNgramSeed), _options.Buckets));
            }
        }
    }
}

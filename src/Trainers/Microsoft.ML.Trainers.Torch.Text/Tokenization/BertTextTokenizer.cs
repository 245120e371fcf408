using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Turns texts and text pairs into BERT inputs exactly as Hugging Face's fast BERT tokenizer does:
/// Microsoft.ML.Tokenizers' WordPiece <see cref="BertTokenizer"/> with a Hugging Face-compatible
/// normalizer and pre-tokenizer, <c>[CLS]</c>/<c>[SEP]</c> framing, token type ids, "longest_first"
/// truncation and padding.
/// </summary>
public sealed class BertTextTokenizer
{
    private readonly byte[] _vocabulary;

    private BertTextTokenizer(byte[] vocabulary, BertTokenizerSettings settings)
    {
        _vocabulary = vocabulary;
        Settings = settings;
        VocabularySize = CountVocabularyLines(vocabulary);

        // Build once with the library's own normalizer to obtain it (its type is internal), then
        // again with that normalizer wrapped for Hugging Face parity and a Hugging Face pre-tokenizer.
        BertTokenizer plain = BertTokenizer.Create(new MemoryStream(vocabulary, writable: false), CreateOptions(settings));
        BertOptions options = CreateOptions(settings);
        options.Normalizer = new HuggingFaceBertNormalizer(plain.Normalizer!, settings);
        options.PreTokenizer = HuggingFaceBertPreTokenizer.Create(NormalizedSpecialTokens(plain, settings));
        Tokenizer = BertTokenizer.Create(new MemoryStream(vocabulary, writable: false), options);
    }

    /// <summary>The underlying Microsoft.ML.Tokenizers tokenizer (normalizer and pre-tokenizer already Hugging Face-compatible).</summary>
    public BertTokenizer Tokenizer { get; }

    /// <summary>The normalization and special-token settings in use.</summary>
    public BertTokenizerSettings Settings { get; }

    /// <summary>The number of entries (lines) in the vocabulary; every id is below it.</summary>
    public int VocabularySize { get; }

    /// <summary>The id of the classification token that starts each sequence.</summary>
    public int ClassificationTokenId => Tokenizer.ClassificationTokenId;

    /// <summary>The id of the separator token that ends each segment.</summary>
    public int SeparatorTokenId => Tokenizer.SeparatorTokenId;

    /// <summary>The id used at padding positions.</summary>
    public int PaddingTokenId => Tokenizer.PaddingTokenId;

    /// <summary>The id of the unknown token.</summary>
    public int UnknownTokenId => Tokenizer.UnknownTokenId;

    /// <summary>
    /// Loads the tokenizer of a Hugging Face checkpoint folder: the vocabulary from <c>vocab.txt</c>
    /// (or, when absent, from the WordPiece vocabulary inside <c>tokenizer.json</c>), the settings from
    /// <see cref="BertTokenizerSettings.FromFolder"/>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">Neither <c>vocab.txt</c> nor a WordPiece <c>tokenizer.json</c> exists; names the folder.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or lacks a special token; names the file.</exception>
    public static BertTextTokenizer FromFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Checkpoint folder '{folder}' does not exist.");
        }
        BertTokenizerSettings settings = BertTokenizerSettings.FromFolder(folder);
        string vocabPath = Path.Combine(folder, "vocab.txt");
        string tokenizerJsonPath = Path.Combine(folder, "tokenizer.json");
        byte[] vocabulary;
        string source;
        if (File.Exists(vocabPath))
        {
            vocabulary = File.ReadAllBytes(vocabPath);
            source = vocabPath;
        }
        else if (File.Exists(tokenizerJsonPath))
        {
            vocabulary = VocabularyFromTokenizerJson(tokenizerJsonPath);
            source = tokenizerJsonPath;
        }
        else
        {
            throw new FileNotFoundException(
                $"Checkpoint folder '{folder}' has no vocabulary: expected 'vocab.txt' (or a WordPiece 'tokenizer.json').", vocabPath);
        }
        return Create(vocabulary, settings, source);
    }

    /// <summary>Creates a tokenizer from a <c>vocab.txt</c> stream (one token per line, id = line number) and settings.</summary>
    /// <exception cref="InvalidDataException">The vocabulary lacks one of the settings' special tokens.</exception>
    public static BertTextTokenizer Create(Stream vocabulary, BertTokenizerSettings settings)
    {
        var buffer = new MemoryStream();
        vocabulary.CopyTo(buffer);
        return Create(buffer.ToArray(), settings, "vocabulary stream");
    }

    private static BertTextTokenizer Create(byte[] vocabulary, BertTokenizerSettings settings, string source)
    {
        try
        {
            return new BertTextTokenizer(vocabulary, settings);
        }
        catch (ArgumentException e)
        {
            // The library reports a special token missing from the vocabulary as an ArgumentException.
            throw new InvalidDataException($"Cannot build the tokenizer from '{source}': {e.Message}", e);
        }
    }

    /// <summary>Writes the vocabulary in <c>vocab.txt</c> format (to save it with a trained model).</summary>
    public void SaveVocabulary(Stream destination) => destination.Write(_vocabulary, 0, _vocabulary.Length);

    /// <summary>The word-piece ids of <paramref name="text"/> without special tokens; null is empty.</summary>
    public IReadOnlyList<int> Tokenize(string? text) =>
        string.IsNullOrEmpty(text) ? Array.Empty<int>() : Tokenizer.EncodeToIds(text, addSpecialTokens: false);

    /// <summary>
    /// Encodes a text, or a text pair, with special tokens. With <paramref name="maxLength"/> the result
    /// has at most that many tokens: a single text keeps its first tokens (and, with <paramref name="tailTokens"/>,
    /// its last that many, the head filling the rest); a pair is cut with Hugging Face's "longest_first" rule (as
    /// its Rust tokenizer computes it: the shorter text is kept whole when the longer can absorb the cut, else both
    /// get half the budget).
    /// </summary>
    /// <param name="text">The first text; null is treated as empty.</param>
    /// <param name="textPair">The optional second text (token type 1); null means a single text.</param>
    /// <param name="maxLength">The maximum number of tokens including special tokens, or null for no limit.</param>
    /// <param name="tailTokens">Word pieces a truncated single text keeps from its end (head+tail truncation); 0 keeps the head only.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="maxLength"/> cannot even hold the special tokens, or <paramref name="tailTokens"/> is negative,
    /// exceeds the room left by them, or is given for a pair.
    /// </exception>
    public BertEncoding Encode(string? text, string? textPair = null, int? maxLength = null, int tailTokens = 0)
    {
        if (tailTokens < 0 || (tailTokens > 0 && (textPair is not null || maxLength is not int)))
        {
            throw new ArgumentOutOfRangeException(nameof(tailTokens), tailTokens,
                "tailTokens must be 0 or more, and applies only to a single text with a maxLength.");
        }
        IReadOnlyList<int> first = Tokenize(text);
        IReadOnlyList<int>? second = textPair is null ? null : Tokenize(textPair);
        int specialCount = second is null ? 2 : 3;
        int firstCount = first.Count, secondCount = second?.Count ?? 0;
        if (maxLength is int max)
        {
            if (max < specialCount)
            {
                throw new ArgumentOutOfRangeException(nameof(maxLength),
                    $"maxLength {max} cannot hold the {specialCount} special tokens of a {(second is null ? "single text" : "text pair")}.");
            }
            if (tailTokens > max - specialCount)
            {
                throw new ArgumentOutOfRangeException(nameof(tailTokens), tailTokens,
                    $"tailTokens {tailTokens} leaves no room for the {specialCount} special tokens within maxLength {max}.");
            }
            (firstCount, secondCount) = second is null
                ? (Math.Min(firstCount, max - specialCount), 0)
                : LongestFirst(firstCount, secondCount, max - specialCount);
        }
        // Head+tail: the first (firstCount - tail) word pieces, then the text's last tail ones.
        int tail = firstCount < first.Count ? tailTokens : 0;
        int head = firstCount - tail, tailStart = first.Count - tail;

        int length = firstCount + secondCount + specialCount;
        var ids = new int[length];
        var types = new int[length];
        int at = 0;
        ids[at++] = ClassificationTokenId;
        for (int i = 0; i < head; i++)
        {
            ids[at++] = first[i];
        }
        for (int i = tailStart; i < first.Count; i++)
        {
            ids[at++] = first[i];
        }
        ids[at++] = SeparatorTokenId;
        if (second is not null)
        {
            int typeStart = at;
            for (int i = 0; i < secondCount; i++)
            {
                ids[at++] = second[i];
            }
            ids[at++] = SeparatorTokenId;
            Array.Fill(types, 1, typeStart, length - typeStart);
        }
        return new BertEncoding(ids, types);
    }

    /// <summary>
    /// Encodes a single text as consecutive windows of at most <paramref name="maxLength"/> tokens, each
    /// <c>[CLS] pieces [SEP]</c>: the first window is what <see cref="Encode"/> keeps, the next ones continue with the
    /// following word pieces without overlap (Hugging Face's overflowing tokens with stride 0), up to
    /// <paramref name="maxWindows"/> windows; the rest of a longer text is dropped. An empty text is one window.
    /// </summary>
    /// <param name="text">The text; null is treated as empty.</param>
    /// <param name="maxLength">The maximum number of tokens per window, special tokens included (at least 3).</param>
    /// <param name="maxWindows">The most windows (at least 1).</param>
    public IReadOnlyList<BertEncoding> EncodeWindows(string? text, int maxLength, int maxWindows)
    {
        if (maxLength < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must leave room for a word piece besides the 2 special tokens.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWindows, 1);
        IReadOnlyList<int> pieces = Tokenize(text);
        int room = maxLength - 2;
        int count = Math.Clamp((pieces.Count + room - 1) / room, 1, maxWindows);
        var windows = new BertEncoding[count];
        for (int w = 0; w < count; w++)
        {
            int start = w * room, length = Math.Min(room, pieces.Count - start);
            var ids = new int[length + 2];
            ids[0] = ClassificationTokenId;
            for (int i = 0; i < length; i++)
            {
                ids[i + 1] = pieces[start + i];
            }
            ids[^1] = SeparatorTokenId;
            windows[w] = new BertEncoding(ids, new int[ids.Length]);
        }
        return windows;
    }

    /// <summary>
    /// Encodes a batch and pads it to its longest row (or to <paramref name="padToLength"/> when given),
    /// as Hugging Face does with <c>padding=True</c>: padding id, type 0, mask 0 on the right.
    /// </summary>
    /// <param name="texts">The first texts.</param>
    /// <param name="textPairs">The second texts, one per row, or null for single texts.</param>
    /// <param name="maxLength">The maximum number of tokens per row, or null for no limit.</param>
    /// <param name="padToLength">Pad every row to this length instead of the longest row's.</param>
    public BertBatch EncodeBatch(IReadOnlyList<string?> texts, IReadOnlyList<string?>? textPairs = null, int? maxLength = null, int? padToLength = null)
    {
        if (textPairs is not null && textPairs.Count != texts.Count)
        {
            throw new ArgumentException($"textPairs has {textPairs.Count} entries but texts has {texts.Count}.", nameof(textPairs));
        }
        var encodings = new BertEncoding[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            encodings[i] = Encode(texts[i], textPairs?[i], maxLength);
        }
        return Pad(encodings, padToLength);
    }

    /// <summary>Pads encodings to the longest one (or to <paramref name="padToLength"/>) on the right.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An encoding is longer than <paramref name="padToLength"/>.</exception>
    public BertBatch Pad(IReadOnlyList<BertEncoding> encodings, int? padToLength = null)
    {
        int longest = encodings.Count == 0 ? 0 : encodings.Max(e => e.Length);
        int length = padToLength ?? longest;
        if (length < longest)
        {
            throw new ArgumentOutOfRangeException(nameof(padToLength), $"padToLength {length} is shorter than the longest encoding ({longest} tokens).");
        }
        int n = encodings.Count;
        var ids = new long[n * length];
        var types = new long[n * length];
        var mask = new long[n * length];
        Array.Fill(ids, PaddingTokenId);
        for (int row = 0; row < n; row++)
        {
            BertEncoding e = encodings[row];
            int offset = row * length;
            for (int j = 0; j < e.Length; j++)
            {
                ids[offset + j] = e.InputIds[j];
                types[offset + j] = e.TokenTypeIds[j];
                mask[offset + j] = 1;
            }
        }
        return new BertBatch(n, length, ids, types, mask);
    }

    /// <summary>Hugging Face tokenizers' (Rust) "longest_first" split of <paramref name="budget"/> tokens between two texts.</summary>
    internal static (int First, int Second) LongestFirst(int first, int second, int budget)
    {
        if (first + second <= budget)
        {
            return (first, second);
        }
        bool swap = first > second;
        int shorter = swap ? second : first;
        int longer;
        if (shorter > budget)
        {
            longer = shorter;
        }
        else
        {
            longer = Math.Max(shorter, budget - shorter);
        }
        if (shorter + longer > budget)
        {
            shorter = budget / 2;
            longer = shorter + budget % 2;
        }
        (int a, int b) = swap ? (longer, shorter) : (shorter, longer);
        return (Math.Min(first, a), Math.Min(second, b));
    }

    private static BertOptions CreateOptions(BertTokenizerSettings settings) => new()
    {
        LowerCaseBeforeTokenization = settings.LowerCase,
        RemoveNonSpacingMarks = settings.StripAccents,
        IndividuallyTokenizeCjk = settings.TokenizeChineseChars,
        ApplyBasicTokenization = true,
        // Hugging Face matches special tokens written in the text ("[SEP]") as single tokens.
        SplitOnSpecialTokens = true,
        UnknownToken = settings.UnknownToken,
        ClassificationToken = settings.ClassificationToken,
        SeparatorToken = settings.SeparatorToken,
        PaddingToken = settings.PaddingToken,
        MaskingToken = settings.MaskToken,
        ContinuingSubwordPrefix = settings.ContinuingSubwordPrefix,
        MaxInputCharsPerWord = settings.MaxInputCharsPerWord,
    };

    // The library looks special tokens up after normalization, so with lowercasing it matches "[cls]";
    // our pre-tokenizer must be given the same normalized forms.
    private static Dictionary<string, int> NormalizedSpecialTokens(BertTokenizer plain, BertTokenizerSettings settings)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, int> pair in plain.SpecialTokens ?? new Dictionary<string, int>())
        {
            result[settings.LowerCase ? pair.Key.ToLowerInvariant() : pair.Key] = pair.Value;
        }
        return result;
    }

    private static int CountVocabularyLines(byte[] vocabulary)
    {
        using var reader = new StreamReader(new MemoryStream(vocabulary, writable: false), Encoding.UTF8);
        int count = 0;
        while (reader.ReadLine() is not null)
        {
            count++;
        }
        return count;
    }

    private static byte[] VocabularyFromTokenizerJson(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        if (root?["model"] is not JsonObject model || (string?)model["type"] != "WordPiece" || model["vocab"] is not JsonObject vocab)
        {
            throw new InvalidDataException($"'{path}' has no WordPiece model vocabulary and the folder has no 'vocab.txt'.");
        }
        var tokens = new string?[vocab.Count];
        foreach (KeyValuePair<string, JsonNode?> entry in vocab)
        {
            int id = entry.Value is JsonValue v && v.TryGetValue(out int i) ? i : -1;
            if (id < 0 || id >= tokens.Length || tokens[id] is not null)
            {
                throw new InvalidDataException($"'{path}': vocabulary id of '{entry.Key}' is invalid or repeated; ids must be 0..{tokens.Length - 1}.");
            }
            tokens[id] = entry.Key;
        }
        return Encoding.UTF8.GetBytes(string.Join("\n", tokens) + "\n");
    }
}

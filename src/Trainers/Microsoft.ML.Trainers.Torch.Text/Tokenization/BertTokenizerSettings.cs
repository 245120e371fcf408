using System;
using System.IO;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// How a BERT checkpoint's text is normalized and split: the settings that Hugging Face keeps in
/// <c>tokenizer_config.json</c> and in the normalizer and model sections of <c>tokenizer.json</c>.
/// </summary>
/// <remarks>
/// The defaults are those of uncased BERT (<c>bert-base-uncased</c>): lowercase, strip accents,
/// clean text, split CJK ideographs, <c>[UNK]</c>/<c>[CLS]</c>/<c>[SEP]</c>/<c>[PAD]</c>/<c>[MASK]</c>,
/// <c>##</c> continuation prefix and 100 characters per word at most.
/// </remarks>
public sealed class BertTokenizerSettings
{
    /// <summary>Whether text is lowercased (<c>do_lower_case</c>; normalizer <c>lowercase</c>).</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>
    /// Whether accents (Unicode non-spacing marks after NFD decomposition) are removed. Hugging Face's
    /// <c>strip_accents: null</c> means "follow <see cref="LowerCase"/>"; this property holds the resolved value.
    /// </summary>
    public bool StripAccents { get; set; } = true;

    /// <summary>Whether CJK ideographs become single-character words (<c>tokenize_chinese_chars</c>).</summary>
    public bool TokenizeChineseChars { get; set; } = true;

    /// <summary>Whether control characters are removed and all whitespace becomes a space (<c>clean_text</c>).</summary>
    public bool CleanText { get; set; } = true;

    /// <summary>The token for words the vocabulary cannot spell.</summary>
    public string UnknownToken { get; set; } = "[UNK]";

    /// <summary>The token that starts every sequence; its final hidden state feeds the classifier.</summary>
    public string ClassificationToken { get; set; } = "[CLS]";

    /// <summary>The token that ends each segment.</summary>
    public string SeparatorToken { get; set; } = "[SEP]";

    /// <summary>The token that pads batches to a common length.</summary>
    public string PaddingToken { get; set; } = "[PAD]";

    /// <summary>The masked-language-model token (must exist in the vocabulary).</summary>
    public string MaskToken { get; set; } = "[MASK]";

    /// <summary>The prefix of word pieces that continue a word.</summary>
    public string ContinuingSubwordPrefix { get; set; } = "##";

    /// <summary>Words longer than this many characters become the unknown token.</summary>
    public int MaxInputCharsPerWord { get; set; } = 100;

    /// <summary>
    /// Reads the settings of a Hugging Face checkpoint folder. Per setting, <c>tokenizer_config.json</c>
    /// wins over the <c>tokenizer.json</c> normalizer (Hugging Face's fast BERT tokenizer rebuilds its
    /// normalizer from the config's <c>do_lower_case</c>/<c>strip_accents</c>/<c>tokenize_chinese_chars</c>
    /// when they differ), which wins over the uncased defaults. Missing files are fine.
    /// </summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <exception cref="InvalidDataException">A settings file is not valid JSON; the message names it.</exception>
    public static BertTokenizerSettings FromFolder(string folder)
    {
        var settings = new BertTokenizerSettings();
        bool? lowerCase = null, stripAccents = null, chinese = null, clean = null;

        JsonObject? tokenizerJson = ReadJsonObject(Path.Combine(folder, "tokenizer.json"));
        if (tokenizerJson?["normalizer"] is JsonObject normalizer && (string?)normalizer["type"] == "BertNormalizer")
        {
            lowerCase = GetBool(normalizer, "lowercase");
            stripAccents = GetBool(normalizer, "strip_accents");
            chinese = GetBool(normalizer, "handle_chinese_chars");
            clean = GetBool(normalizer, "clean_text");
        }
        if (tokenizerJson?["model"] is JsonObject model && (string?)model["type"] == "WordPiece")
        {
            settings.UnknownToken = GetString(model, "unk_token") ?? settings.UnknownToken;
            settings.ContinuingSubwordPrefix = GetString(model, "continuing_subword_prefix") ?? settings.ContinuingSubwordPrefix;
            if (model["max_input_chars_per_word"] is JsonValue max && max.TryGetValue(out int maxChars))
            {
                settings.MaxInputCharsPerWord = maxChars;
            }
        }

        JsonObject? config = ReadJsonObject(Path.Combine(folder, "tokenizer_config.json"));
        if (config is not null)
        {
            lowerCase = GetBool(config, "do_lower_case") ?? lowerCase;
            stripAccents = GetBool(config, "strip_accents") ?? stripAccents;
            chinese = GetBool(config, "tokenize_chinese_chars") ?? chinese;
            settings.UnknownToken = GetToken(config, "unk_token") ?? settings.UnknownToken;
            settings.ClassificationToken = GetToken(config, "cls_token") ?? settings.ClassificationToken;
            settings.SeparatorToken = GetToken(config, "sep_token") ?? settings.SeparatorToken;
            settings.PaddingToken = GetToken(config, "pad_token") ?? settings.PaddingToken;
            settings.MaskToken = GetToken(config, "mask_token") ?? settings.MaskToken;
        }

        settings.LowerCase = lowerCase ?? true;
        // strip_accents null (or absent) means: strip exactly when lowercasing, as in BERT's original tokenizer.
        settings.StripAccents = stripAccents ?? settings.LowerCase;
        settings.TokenizeChineseChars = chinese ?? true;
        settings.CleanText = clean ?? true;
        return settings;
    }

    /// <summary>Serializes the settings (for saving a trained model).</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Reads settings written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">The text is not valid settings JSON.</exception>
    public static BertTokenizerSettings FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<BertTokenizerSettings>(json)
                ?? throw new InvalidDataException("Tokenizer settings JSON is 'null'.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Tokenizer settings JSON is invalid: {e.Message}", e);
        }
    }

    private static JsonObject? ReadJsonObject(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"'{path}' does not hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }

    private static bool? GetBool(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue(out bool b) ? b : null;

    private static string? GetString(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    // Special tokens in tokenizer_config.json are either a string or an AddedToken object {"content": ...}.
    private static string? GetToken(JsonObject o, string name) => o[name] switch
    {
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonObject t => GetString(t, "content"),
        _ => null,
    };
}

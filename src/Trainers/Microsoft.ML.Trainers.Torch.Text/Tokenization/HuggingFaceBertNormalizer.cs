using System;
using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Makes Microsoft.ML.Tokenizers' BERT normalizer produce what Hugging Face's <c>BertNormalizer</c>
/// produces, by running Hugging Face's <c>clean_text</c> and lowercasing before it and undoing its
/// final recomposition after it.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers 2.0.1 differs from Hugging Face in ways that change token ids:
/// <list type="bullet">
/// <item>It deletes <c>\t</c>, <c>\n</c> and <c>\r</c> (category Control) where Hugging Face turns them
/// into spaces, so "hello\nworld" became one word "helloworld" - fatal for e-mails and documents.</item>
/// <item>It keeps format characters (Cf: soft hyphen, zero-width joiner, BOM) and private-use
/// characters that Hugging Face deletes, and it maps only Zs to a space, not U+2028/U+2029.</item>
/// <item>It lowercases only UppercaseLetter; Hugging Face lowercases every character with a lowercase
/// mapping (titlecase letters, Roman numerals, circled letters).</item>
/// <item>It recomposes (NFC) its output; with accent stripping Hugging Face leaves the text
/// decomposed (Hangul syllables stay as jamo), so we decompose again.</item>
/// </list>
/// Remaining known difference: with accent stripping it also removes spacing combining marks (Mc,
/// e.g. Devanagari vowel signs), which Hugging Face keeps; and without accent stripping it returns
/// NFC where Hugging Face returns the input's own composition.
/// </remarks>
internal sealed class HuggingFaceBertNormalizer : Normalizer
{
    private readonly Normalizer _inner;
    private readonly bool _cleanText;
    private readonly bool _lowerCase;
    private readonly bool _stripAccents;

    /// <param name="inner">Microsoft.ML.Tokenizers' own BERT normalizer built for the same settings.</param>
    /// <param name="settings">The checkpoint's normalization settings.</param>
    public HuggingFaceBertNormalizer(Normalizer inner, BertTokenizerSettings settings)
    {
        _inner = inner;
        _cleanText = settings.CleanText;
        _lowerCase = settings.LowerCase;
        _stripAccents = settings.StripAccents;
    }

    /// <inheritdoc/>
    public override string Normalize(string original)
    {
        if (string.IsNullOrEmpty(original))
        {
            return string.Empty;
        }
        string text = _cleanText ? CleanText(original) : original;
        if (_lowerCase)
        {
            text = text.ToLowerInvariant();
        }
        text = _inner.Normalize(text);
        return _stripAccents ? text.Normalize(NormalizationForm.FormD) : text;
    }

    /// <inheritdoc/>
    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    /// <summary>Hugging Face's <c>clean_text</c>: drop NUL, U+FFFD and "other" characters; whitespace becomes a space.</summary>
    internal static string CleanText(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (Rune r in text.EnumerateRunes())
        {
            // Invalid UTF-16 (lone surrogates) enumerates as U+FFFD, which is dropped like the real one.
            if (r.Value == 0 || r.Value == 0xFFFD)
            {
                continue;
            }
            if (r.Value is '\t' or '\n' or '\r')
            {
                sb.Append(' ');
                continue;
            }
            UnicodeCategory category = Rune.GetUnicodeCategory(r);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate)
            {
                continue;
            }
            if (Rune.IsWhiteSpace(r))
            {
                sb.Append(' ');
                continue;
            }
            sb.Append(r.ToString());
        }
        return sb.ToString();
    }
}

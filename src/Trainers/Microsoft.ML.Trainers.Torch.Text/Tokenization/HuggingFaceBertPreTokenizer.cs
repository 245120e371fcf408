using System.Collections.Generic;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Hugging Face's <c>BertPreTokenizer</c> as a Microsoft.ML.Tokenizers regex pre-tokenizer: split on
/// whitespace, and make every punctuation character a word of its own.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' BERT pre-tokenizer uses <c>\w+|[\p{P}]</c>, which silently drops characters
/// that are neither word characters nor Unicode punctuation (<c>$ + &lt; = &gt; ^ ` | ~</c>, emoji,
/// currency signs) and keeps <c>_</c> inside words. Hugging Face treats all ASCII punctuation and
/// symbols plus Unicode P* as punctuation and keeps every other non-space character in the word, so
/// "a$b" is a, $, b and "5€" is one word.
/// </remarks>
internal static class HuggingFaceBertPreTokenizer
{
    // ASCII punctuation as Rust's char::is_ascii_punctuation: ! to /, : to @, [ to `, { to ~.
    private const string Punctuation = @"\p{P}!-/:-@\[-`{-~";

    private static readonly Regex s_words = new(
        $"[^\\s{Punctuation}]+|[{Punctuation}]",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>Creates the pre-tokenizer; <paramref name="specialTokens"/> (already normalized) are kept whole.</summary>
    public static PreTokenizer Create(IReadOnlyDictionary<string, int>? specialTokens) =>
        new RegexPreTokenizer(s_words, specialTokens);
}

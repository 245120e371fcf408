using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Transfer encodings (quoted-printable, base64), charsets and RFC 2047 encoded header words.</summary>
internal static class MimeDecoding
{
    private static readonly Regex s_encodedWord = new(
        @"=\?(?<charset>[^?\s]+)\?(?<encoding>[bBqQ])\?(?<text>[^?\s]*)\?=",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private static readonly Regex s_spaceBetweenEncodedWords = new(@"(?<=\?=)\s+(?==\?)", RegexOptions.Compiled);

    /// <summary>Decodes a body by its <c>Content-Transfer-Encoding</c> and charset.</summary>
    public static string DecodeBody(string body, string? transferEncoding, string? charset)
    {
        string encoding = (transferEncoding ?? "").Trim().ToLowerInvariant();
        Encoding text = GetEncoding(charset);
        return encoding switch
        {
            "quoted-printable" => text.GetString(QuotedPrintableBytes(body, text, headerMode: false)),
            "base64" => text.GetString(Base64Bytes(body)),
            // 7bit, 8bit, binary or none: the characters are already text.
            _ => body,
        };
    }

    /// <summary>Decodes RFC 2047 encoded words (<c>=?charset?B|Q?...?=</c>) in a header value.</summary>
    public static string DecodeHeader(string value)
    {
        if (!value.Contains("=?", StringComparison.Ordinal))
        {
            return value;
        }
        // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 section 6.2).
        string joined = s_spaceBetweenEncodedWords.Replace(value, "");
        return s_encodedWord.Replace(joined, m =>
        {
            Encoding text = GetEncoding(m.Groups["charset"].Value);
            string payload = m.Groups["text"].Value;
            byte[] bytes = char.ToUpperInvariant(m.Groups["encoding"].Value[0]) == 'B'
                ? Base64Bytes(payload)
                : QuotedPrintableBytes(payload, text, headerMode: true);
            return text.GetString(bytes);
        });
    }

    /// <summary>The .NET encoding for a MIME charset name; Latin-1 (which maps every byte) when unknown.</summary>
    public static Encoding GetEncoding(string? charset)
    {
        string name = (charset ?? "").Trim().Trim('"').ToLowerInvariant();
        if (name.Length == 0)
        {
            return Encoding.Latin1;
        }
        try
        {
            return Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            // Legacy code pages (windows-1252, iso-8859-15, big5, koi8-r, ...) come from the code-pages provider,
            // used directly so that the process-wide encoding registry is left alone.
            return CodePagesEncodingProvider.Instance.GetEncoding(name) ?? Encoding.Latin1;
        }
    }

    private static byte[] Base64Bytes(string text)
    {
        var clean = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/')
            {
                clean.Append(c);
            }
        }
        // Drop a dangling partial quantum (truncated or garbled data) instead of failing.
        clean.Length -= clean.Length % 4 == 1 ? 1 : 0;
        while (clean.Length % 4 != 0)
        {
            clean.Append('=');
        }
        try
        {
            return Convert.FromBase64String(clean.ToString());
        }
        catch (FormatException)
        {
            return Array.Empty<byte>();
        }
    }

    private static byte[] QuotedPrintableBytes(string text, Encoding charset, bool headerMode)
    {
        var bytes = new List<byte>(text.Length);
        Span<byte> buffer = stackalloc byte[8];
        Span<char> single = stackalloc char[1];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '=' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;  // soft line break
                continue;
            }
            if (c == '=' && i + 2 < text.Length
                && byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte value))
            {
                bytes.Add(value);
                i += 2;
                continue;
            }
            if (headerMode && c == '_')
            {
                bytes.Add((byte)' ');
                continue;
            }
            if (c < 0x80)
            {
                bytes.Add((byte)c);
                continue;
            }
            // A raw non-ASCII character (not allowed in quoted-printable, but common): keep it.
            single[0] = c;
            int written = char.IsSurrogate(c) ? 0 : charset.GetBytes(single, buffer);
            for (int k = 0; k < written; k++)
            {
                bytes.Add(buffer[k]);
            }
        }
        return bytes.ToArray();
    }
}

using System;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Readable text of an HTML body: scripts, styles, comments and tags removed, entities decoded, link targets kept.</summary>
internal static class HtmlText
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(2);

    private static readonly Regex s_invisible = new(
        @"<!--.*?-->|<(script|style|head)\b[^>]*>.*?</\1\s*>",
        RegexOptions.Compiled | RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant, s_timeout);

    // Link targets are kept as text: where a message points is part of what it says.
    private static readonly Regex s_link = new(
        @"<a\b[^>]*?\bhref\s*=\s*[""']?(?<url>[^""'\s>]+)[^>]*>",
        RegexOptions.Compiled | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, s_timeout);

    private static readonly Regex s_blockTag = new(
        @"<\s*/?\s*(br|p|div|tr|li|h[1-6]|table|blockquote)\b[^>]*>",
        RegexOptions.Compiled | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, s_timeout);

    private static readonly Regex s_tag = new(@"<[^>]*>", RegexOptions.Compiled, s_timeout);

    /// <summary>Converts <paramref name="html"/> to plain text.</summary>
    public static string ToText(string html)
    {
        try
        {
            string text = s_invisible.Replace(html, " ");
            text = s_link.Replace(text, m => " " + m.Groups["url"].Value + " ");
            text = s_blockTag.Replace(text, "\n");
            text = s_tag.Replace(text, " ");
            return WebUtility.HtmlDecode(text);
        }
        catch (RegexMatchTimeoutException)
        {
            // Pathological markup: fall back to dropping everything between angle brackets.
            var sb = new StringBuilder(html.Length);
            bool inTag = false;
            foreach (char c in html)
            {
                if (c == '<')
                {
                    inTag = true;
                }
                else if (c == '>')
                {
                    inTag = false;
                    sb.Append(' ');
                }
                else if (!inTag)
                {
                    sb.Append(c);
                }
            }
            return WebUtility.HtmlDecode(sb.ToString());
        }
    }
}

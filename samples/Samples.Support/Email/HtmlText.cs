using System;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Samples.Support;

/// <summary>
/// Readable text of an HTML body, as a browser lays it out: AngleSharp parses it (HTML5 error recovery, entities);
/// scripts, styles, the head and comments are dropped, block elements start new lines, and link targets are kept.
/// </summary>
/// <remarks>Hand-written walk: AngleSharp gives the DOM but no layout-aware text rendering.</remarks>
internal static class HtmlText
{
    private static readonly HtmlParser s_parser = new();

    /// <summary>Converts <paramref name="html"/> to plain text.</summary>
    public static string ToText(string html)
    {
        using IDocument document = s_parser.ParseDocument(html);
        var text = new StringBuilder(html.Length / 2);
        Append(document.Body ?? (INode)document, text);
        return text.ToString();
    }

    private static void Append(INode node, StringBuilder text)
    {
        foreach (INode child in node.ChildNodes)
        {
            switch (child)
            {
                case IText t:
                    // Whitespace in HTML source is one space when rendered.
                    AppendCollapsed(t.Data, text);
                    break;
                case IElement e when IsInvisible(e.LocalName):
                    break;
                case IElement e:
                    bool block = IsBlock(e.LocalName);
                    if (block)
                    {
                        text.Append('\n');
                    }
                    else if (e.LocalName is "td" or "th" or "img")
                    {
                        text.Append(' ');
                    }
                    if (e.LocalName == "a" && e.GetAttribute("href") is string href && href.Length > 0)
                    {
                        // Where a message points is part of what it says.
                        text.Append(' ').Append(href.Trim()).Append(' ');
                    }
                    Append(e, text);
                    if (block)
                    {
                        text.Append('\n');
                    }
                    else if (e.LocalName is "td" or "th")
                    {
                        text.Append(' ');
                    }
                    break;
            }
        }
    }

    private static void AppendCollapsed(string data, StringBuilder text)
    {
        bool space = false;
        foreach (char c in data)
        {
            if (char.IsWhiteSpace(c) && c != '\u00A0')
            {
                space = true;
                continue;
            }
            if (space)
            {
                text.Append(' ');
                space = false;
            }
            text.Append(c);
        }
        if (space)
        {
            text.Append(' ');
        }
    }

    // iframe, noembed and noframes hold fallback text that browsers with frames and plugins never show.
    private static bool IsInvisible(string name) => name is "script" or "style" or "head" or "title" or "template"
        or "iframe" or "noembed" or "noframes";

    private static bool IsBlock(string name) => name is "br" or "p" or "div" or "tr" or "li" or "ul" or "ol" or "table"
        or "blockquote" or "pre" or "hr" or "h1" or "h2" or "h3" or "h4" or "h5" or "h6" or "dl" or "dt" or "dd"
        or "form" or "center" or "address";
}

using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Extracts what a reader sees from a raw e-mail (RFC 822/MIME, as stored in mbox files): the subject
/// and the body text, with headers removed.
/// </summary>
/// <remarks>
/// Multipart messages are walked recursively: of <c>multipart/alternative</c> the plain-text version is
/// taken (HTML when there is none); other multiparts contribute all their text parts, forwarded
/// <c>message/rfc822</c> parts included; attachments that are not text are skipped. Quoted-printable and
/// base64 are decoded with the part's charset (Latin-1 when unknown), RFC 2047 encoded subjects are
/// decoded, and HTML becomes text (tags, scripts and styles removed, entities decoded, link targets
/// kept). Runs of spaces are collapsed and at most one blank line is kept.
/// </remarks>
public static class EmailText
{
    private const int MaxDepth = 10;

    private static readonly Regex s_spaces = new(@"[ \t\f\v\u00A0]+", RegexOptions.Compiled);
    private static readonly Regex s_blankLines = new(@"\n\s*\n\s*(\n\s*)*", RegexOptions.Compiled);

    /// <summary>
    /// Returns <c>Subject</c>, a blank line, then the body text; an empty string for null or empty input.
    /// A message without headers is treated as all body.
    /// </summary>
    public static string ToSubjectAndBody(string? rawEmail)
    {
        if (string.IsNullOrEmpty(rawEmail))
        {
            return string.Empty;
        }
        MimeEntity message = MimeEntity.Parse(rawEmail);
        string subject = Clean(MimeDecoding.DecodeHeader(message.Header("Subject") ?? ""));
        var body = new StringBuilder();
        AppendText(message, body, 0);
        string text = Clean(body.ToString());
        return subject.Length == 0 ? text : text.Length == 0 ? subject : subject + "\n\n" + text;
    }

    private static void AppendText(MimeEntity entity, StringBuilder output, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }
        string type = entity.MediaType;
        if (type.StartsWith("multipart/", StringComparison.Ordinal))
        {
            List<MimeEntity>? parts = SplitMultipart(entity);
            if (parts is null)
            {
                // No usable boundary: the body is the best text there is.
                output.Append(entity.Body).Append('\n');
                return;
            }
            if (type == "multipart/alternative")
            {
                MimeEntity? chosen = parts.Find(p => p.MediaType == "text/plain" && !string.IsNullOrWhiteSpace(Decoded(p)))
                    ?? parts.Find(p => p.MediaType == "text/html")
                    ?? parts.Find(p => p.MediaType.StartsWith("multipart/", StringComparison.Ordinal));
                if (chosen is not null)
                {
                    AppendText(chosen, output, depth + 1);
                }
                return;
            }
            foreach (MimeEntity part in parts)
            {
                AppendText(part, output, depth + 1);
            }
            return;
        }
        if (type == "message/rfc822")
        {
            output.Append(ToSubjectAndBody(entity.Body)).Append('\n');
            return;
        }
        if (type == "text/html")
        {
            output.Append(HtmlText.ToText(Decoded(entity))).Append('\n');
            return;
        }
        if (type.StartsWith("text/", StringComparison.Ordinal) && !IsAttachment(entity))
        {
            output.Append(Decoded(entity)).Append('\n');
        }
    }

    private static bool IsAttachment(MimeEntity entity) =>
        entity.Header("Content-Disposition")?.TrimStart().StartsWith("attachment", StringComparison.OrdinalIgnoreCase) == true
        && entity.MediaType != "text/plain";

    private static string Decoded(MimeEntity entity) =>
        MimeDecoding.DecodeBody(entity.Body, entity.Header("Content-Transfer-Encoding"), entity.Parameters.GetValueOrDefault("charset"));

    private static List<MimeEntity>? SplitMultipart(MimeEntity entity)
    {
        if (!entity.Parameters.TryGetValue("boundary", out string? boundary) || boundary.Length == 0)
        {
            return null;
        }
        string delimiter = "--" + boundary;
        string[] lines = entity.Body.Split('\n');
        var parts = new List<MimeEntity>();
        StringBuilder? current = null;
        foreach (string line in lines)
        {
            if (line.StartsWith(delimiter, StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    parts.Add(MimeEntity.Parse(current.ToString()));
                }
                bool closing = line.AsSpan(delimiter.Length).TrimEnd().StartsWith("--", StringComparison.Ordinal);
                current = closing ? null : new StringBuilder();
                if (closing)
                {
                    break;
                }
                continue;
            }
            current?.Append(line).Append('\n');
        }
        if (current is not null)
        {
            parts.Add(MimeEntity.Parse(current.ToString()));
        }
        return parts.Count == 0 ? null : parts;
    }

    private static string Clean(string text)
    {
        string oneSpace = s_spaces.Replace(text.Replace("\r", ""), " ");
        var lines = oneSpace.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            lines[i] = lines[i].Trim();
        }
        return s_blankLines.Replace(string.Join("\n", lines), "\n\n").Trim();
    }
}

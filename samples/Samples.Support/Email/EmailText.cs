using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace Samples.Support;

/// <summary>
/// Extracts what a reader sees from a raw e-mail (RFC 822/MIME, as stored in mbox files): the subject and the body
/// text, with headers removed. MIME structure, transfer encodings, charsets and RFC 2047 encoded words are MimeKit's
/// work; HTML bodies become text with AngleSharp (<see cref="HtmlText"/>).
/// </summary>
/// <remarks>
/// Of <c>multipart/alternative</c> the plain-text version is taken (HTML when there is none); other multiparts
/// contribute all their text parts, forwarded <c>message/rfc822</c> parts included; attachments that are not plain
/// text are skipped. A multipart whose boundary never occurs contributes its raw content. Runs of spaces are
/// collapsed and at most one blank line is kept.
/// </remarks>
public static class EmailText
{
    private const int MaxDepth = 10;

    // Each part's text is its own paragraph. (MIME gives the line break before a boundary to the boundary, so a part's
    // text need not end with one.)
    private const string PartBreak = "\n\n";

    static EmailText()
    {
        // Legacy charsets of old mail (windows-1252, iso-2022-jp, koi8-r, big5, ...) come from the code-pages provider;
        // MimeKit looks charsets up through Encoding.GetEncoding, which finds them only once it is registered.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    private static readonly Regex s_spaces = new(@"[ \t\f\v\u00A0]+", RegexOptions.Compiled);
    private static readonly Regex s_blankLines = new(@"\n\s*\n\s*(\n\s*)*", RegexOptions.Compiled);

    // A header line: a field name of printable ASCII without spaces, then a colon (RFC 5322 section 2.2).
    private static readonly Regex s_headerLine = new(@"^[!-9;-~]+[ \t]*:", RegexOptions.Compiled);

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
        return ToSubjectAndBody(rawEmail, 0);
    }

    private static string ToSubjectAndBody(string rawEmail, int depth)
    {
        string raw = SkipMboxSeparator(rawEmail);
        if (!s_headerLine.IsMatch(raw))
        {
            // No header block: the whole text is body, not a message to parse.
            return Clean(raw);
        }
        // The message is already characters: MimeKit reads their UTF-8, so parts that were not transfer-encoded are
        // read back as UTF-8 below, whatever charset they declare.
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(raw), writable: false);
        MimeMessage message = MimeMessage.Load(stream);
        return Join(Clean(message.Subject ?? ""), Clean(BodyText(message, depth)));
    }

    /// <summary>
    /// Returns the first <c>From</c> mailbox as <c>From: name &lt;address&gt;</c> (RFC 2047 words decoded), or an empty
    /// string when the message has no header block or no sender.
    /// </summary>
    public static string Sender(string? rawEmail)
    {
        string raw = SkipMboxSeparator(rawEmail ?? "");
        if (!s_headerLine.IsMatch(raw))
        {
            return string.Empty;
        }
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(raw), writable: false);
        Header? field = HeaderList.Load(stream).FirstOrDefault(h => h.Id == HeaderId.From);
        MailboxAddress? from = field is not null && InternetAddressList.TryParse(field.RawValue, out InternetAddressList? list)
            ? list.Mailboxes.FirstOrDefault()
            : null;
        return from is null ? string.Empty : Clean($"From: {from.Name} <{from.Address}>");
    }

    private static string BodyText(MimeMessage message, int depth)
    {
        var body = new StringBuilder();
        if (message.Body is not null)
        {
            AppendText(message.Body, body, depth);
        }
        return body.ToString();
    }

    private static void AppendText(MimeEntity entity, StringBuilder output, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }
        switch (entity)
        {
            case Multipart multipart when multipart.Count == 0:
                // No part was found (a missing or unmatched boundary): the raw content is the best text there is.
                output.Append(multipart.Preamble).Append(PartBreak);
                break;
            case MultipartAlternative alternative:
                MimeEntity? chosen = alternative.OfType<TextPart>().FirstOrDefault(p => p.IsPlain && !string.IsNullOrWhiteSpace(Decoded(p)))
                    ?? alternative.OfType<TextPart>().FirstOrDefault(p => p.IsHtml)
                    ?? (MimeEntity?)alternative.OfType<Multipart>().FirstOrDefault();
                if (chosen is not null)
                {
                    AppendText(chosen, output, depth + 1);
                }
                break;
            case Multipart multipart:
                foreach (MimeEntity part in multipart)
                {
                    AppendText(part, output, depth + 1);
                }
                break;
            case MessagePart { Message: MimeMessage forwarded }:
                output.Append(Join(Clean(forwarded.Subject ?? ""), Clean(BodyText(forwarded, depth + 1)))).Append(PartBreak);
                break;
            case TextPart html when html.IsHtml:
                output.Append(HtmlText.ToText(Decoded(html))).Append(PartBreak);
                break;
            case TextPart text when !(text.IsAttachment && !text.IsPlain):
                output.Append(Decoded(text)).Append(PartBreak);
                break;
        }
    }

    /// <summary>
    /// A text part's characters: base64 and quoted-printable content is decoded with the declared charset (Latin-1,
    /// which maps every byte, when it is missing or unknown); other content was never bytes of that charset here
    /// (see <see cref="ToSubjectAndBody(string, int)"/>) and is read back as UTF-8.
    /// </summary>
    private static string Decoded(TextPart part)
    {
        if (part.Content is null)
        {
            return "";
        }
        bool transferEncoded = part.ContentTransferEncoding is ContentEncoding.Base64 or ContentEncoding.QuotedPrintable or ContentEncoding.UUEncode;
        Encoding encoding = transferEncoded ? part.ContentType.CharsetEncoding ?? Encoding.Latin1 : Encoding.UTF8;
        return part.GetText(encoding);
    }

    private static string SkipMboxSeparator(string raw)
    {
        if (!raw.StartsWith("From ", StringComparison.Ordinal))
        {
            return raw;
        }
        int firstBreak = raw.IndexOf('\n');
        return firstBreak < 0 ? "" : raw[(firstBreak + 1)..];
    }

    private static string Join(string subject, string text) =>
        subject.Length == 0 ? text : text.Length == 0 ? subject : subject + "\n\n" + text;

    private static string Clean(string text)
    {
        string oneSpace = s_spaces.Replace(text.Replace("\r", ""), " ");
        string[] lines = oneSpace.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            lines[i] = lines[i].Trim();
        }
        return s_blankLines.Replace(string.Join("\n", lines), "\n\n").Trim();
    }
}

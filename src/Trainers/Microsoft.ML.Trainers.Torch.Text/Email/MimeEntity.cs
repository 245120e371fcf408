using System;
using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>One MIME entity: unfolded headers and the raw (still transfer-encoded) body.</summary>
internal sealed class MimeEntity
{
    private readonly Dictionary<string, string> _headers;

    private MimeEntity(Dictionary<string, string> headers, string body)
    {
        _headers = headers;
        Body = body;
        (MediaType, Parameters) = ParseContentType(Header("Content-Type"));
    }

    /// <summary>The body after the blank line, line endings normalized to <c>\n</c>.</summary>
    public string Body { get; }

    /// <summary>Lowercase <c>type/subtype</c>; <c>text/plain</c> when there is no Content-Type (RFC 2045 default).</summary>
    public string MediaType { get; }

    /// <summary>Content-Type parameters (charset, boundary) by lowercase name.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), unfolded; null when absent.</summary>
    public string? Header(string name) => _headers.TryGetValue(name, out string? value) ? value : null;

    /// <summary>Splits <paramref name="raw"/> into headers and body; skips an mbox <c>From </c> separator line.</summary>
    public static MimeEntity Parse(string raw)
    {
        string text = raw.Replace("\r\n", "\n").Replace('\r', '\n');
        int start = 0;
        if (text.StartsWith("From ", StringComparison.Ordinal))
        {
            int firstBreak = text.IndexOf('\n');
            start = firstBreak < 0 ? text.Length : firstBreak + 1;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? currentName = null;
        string currentValue = "";
        int position = start;
        while (position < text.Length)
        {
            int end = text.IndexOf('\n', position);
            if (end < 0)
            {
                end = text.Length;
            }
            string line = text.Substring(position, end - position);
            position = end + 1;
            if (line.Length == 0)
            {
                break;
            }
            if ((line[0] == ' ' || line[0] == '\t') && currentName is not null)
            {
                // A folded continuation of the previous header.
                currentValue += " " + line.Trim();
                continue;
            }
            Store(headers, currentName, currentValue);
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                // Not a header: the message has no header block, so everything is body.
                headers.Clear();
                currentName = null;
                position = start;
                break;
            }
            currentName = line.Substring(0, colon).Trim();
            currentValue = line.Substring(colon + 1).Trim();
        }
        Store(headers, currentName, currentValue);
        string body = position < text.Length ? text.Substring(position) : "";
        return new MimeEntity(headers, body);
    }

    private static void Store(Dictionary<string, string> headers, string? name, string value)
    {
        if (name is not null && !headers.ContainsKey(name))
        {
            headers[name] = value;
        }
    }

    private static (string MediaType, Dictionary<string, string> Parameters) ParseContentType(string? value)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(value))
        {
            return ("text/plain", parameters);
        }
        string[] pieces = SplitParameters(value);
        string mediaType = pieces[0].Trim().ToLowerInvariant();
        for (int i = 1; i < pieces.Length; i++)
        {
            int eq = pieces[i].IndexOf('=');
            if (eq > 0)
            {
                string name = pieces[i].Substring(0, eq).Trim();
                string parameter = pieces[i].Substring(eq + 1).Trim().Trim('"');
                parameters.TryAdd(name, parameter);
            }
        }
        return (mediaType.Contains('/') ? mediaType : "text/plain", parameters);
    }

    // Splits on ';' outside double quotes (boundaries may contain ';').
    private static string[] SplitParameters(string value)
    {
        var result = new List<string>();
        bool quoted = false;
        int begin = 0;
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '"')
            {
                quoted = !quoted;
            }
            else if (value[i] == ';' && !quoted)
            {
                result.Add(value.Substring(begin, i - begin));
                begin = i + 1;
            }
        }
        result.Add(value.Substring(begin));
        return result.ToArray();
    }
}

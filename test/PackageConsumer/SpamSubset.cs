using System.IO;
using System.Linq;
using System.Text.Json;

namespace Microsoft.ML.PackageConsumer;

/// <summary>One message: its text and "ham" or "spam".</summary>
internal sealed class TextRow
{
    public string Label { get; set; } = "";

    public string Text { get; set; } = "";
}

/// <summary>Reads the committed SpamAssassin subset (JSON lines with <c>label</c> and <c>text</c>).</summary>
internal static class SpamSubset
{
    public static TextRow[] Read(string testData)
    {
        string path = Path.Combine(testData, "spam", "spamassassin-subset.jsonl");
        return File.ReadLines(path).Where(line => line.Length > 0).Select(line =>
        {
            using JsonDocument json = JsonDocument.Parse(line);
            return new TextRow
            {
                Label = json.RootElement.GetProperty("label").GetString() ?? throw new InvalidDataException($"{path}: a line has no label."),
                Text = json.RootElement.GetProperty("text").GetString() ?? "",
            };
        }).ToArray();
    }
}

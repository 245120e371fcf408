using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Reads <c>golden/bert/expected.json</c>: Hugging Face's ids, logits and fine-tuning losses for the
/// tiny checkpoint in <c>golden/bert/model</c>. Every test is driven by the file's contents only.
/// </summary>
internal static class BertGoldenData
{
    public static string ModelDir => TestData.Golden("bert", "model");

    public static JsonObject Expected =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(TestData.Golden("bert", "expected.json")))!;

    public static JsonArray Cases => (JsonArray)Expected["cases"]!;

    public static JsonObject Batch => (JsonObject)Expected["batch"]!;

    /// <summary>One row per entry of <c>cases</c>: its index and a readable label for the test name.</summary>
    public static IEnumerable<object[]> CaseRows() =>
        Cases.Select((c, i) => new object[] { i, Describe((JsonObject)c!) });

    public static JsonObject Case(int index) => (JsonObject)Cases[index]!;

    public static string Text(JsonObject c) => (string)c["text"]!;

    public static string? TextPair(JsonObject c) => c["text_pair"] is JsonNode n ? (string)n! : null;

    public static int[] Ints(JsonNode node) => ((JsonArray)node).Select(v => (int)v!).ToArray();

    public static double[] Doubles(JsonNode node) => ((JsonArray)node).Select(v => (double)v!).ToArray();

    public static int[][] IntRows(JsonNode node) => ((JsonArray)node).Select(r => Ints(r!)).ToArray();

    public static double[][] DoubleRows(JsonNode node) => ((JsonArray)node).Select(r => Doubles(r!)).ToArray();

    private static string Describe(JsonObject c)
    {
        string text = Text(c);
        string label = TextPair(c) is string pair ? $"'{text}' + '{pair}'" : $"'{text}'";
        return label.Length > 60 ? label[..60] : label;
    }
}

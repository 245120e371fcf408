using System;
using System.Linq;
using System.Text.Json;

namespace Microsoft.ML.Optimizers.Tests;

/// <summary>Small helpers for reading the golden JSON files.</summary>
internal static class Json
{
    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    public static float[] Floats(JsonElement e) => e.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();

    public static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    public static JsonElement? Optional(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static JsonElement Required(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) ? v : throw new FormatException($"Golden data lacks '{name}'.");
}

using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// What must match for a checkpoint to continue a run: every option that shapes training (read by reflection, so the
/// image and text trainers' own options and the optimizer's and schedule's hyperparameters count too) and the data's
/// size and labels. Options that only change where or how often things happen (the checkpoint settings, threads, device,
/// logging, callbacks) are left out.
/// </summary>
internal static class RunFingerprint
{
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        nameof(TorchTrainerOptions.CheckpointFolder), nameof(TorchTrainerOptions.CheckpointEvery),
        nameof(TorchTrainerOptions.CheckpointEveryUnit), nameof(TorchTrainerOptions.CheckpointsToKeep),
        nameof(TorchTrainerOptions.Threads), nameof(TorchTrainerOptions.Device), nameof(TorchTrainerOptions.LogEveryNSteps),
        nameof(TorchTrainerOptions.ValidationSet),
        // What the trained model keeps, not how it trains.
        nameof(TorchTrainerOptions.SaveOptimizerState),
        // The starting weights: a checkpoint replaces them, and the network's shapes are fingerprinted with the data.
        nameof(TorchTrainerOptions.ContinueFrom),
    };

    private const int MaxDepth = 4;
    private const string DataPrefix = "data.";

    /// <summary>The options' entries ("Optimizer.LearningRate" → "0.05") plus <paramref name="data"/>'s.</summary>
    public static SortedDictionary<string, string> Of(TorchTrainerOptions options, IEnumerable<KeyValuePair<string, string>> data)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Add(entries, "", options, 0);
        foreach ((string key, string value) in data)
        {
            entries[DataPrefix + key] = value;
        }
        return entries;
    }

    /// <summary>The options' entries of a fingerprint, without the data's (which need the data read).</summary>
    public static SortedDictionary<string, string> OptionsOnly(IReadOnlyDictionary<string, string> fingerprint)
        => new(fingerprint.Where(e => !e.Key.StartsWith(DataPrefix, StringComparison.Ordinal)).ToDictionary(e => e.Key, e => e.Value), StringComparer.Ordinal);

    /// <summary>"A is x in the checkpoint and y now" for every entry that differs; empty when they match.</summary>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, string> saved, IReadOnlyDictionary<string, string> current)
    {
        var differences = new List<string>();
        foreach (string key in saved.Keys.Union(current.Keys).OrderBy(k => k, StringComparer.Ordinal))
        {
            string before = saved.TryGetValue(key, out string? b) ? b : "(absent)";
            string now = current.TryGetValue(key, out string? c) ? c : "(absent)";
            if (before != now)
            {
                differences.Add($"{key} is {before} in the checkpoint and {now} now");
            }
        }
        return differences;
    }

    private static void Add(SortedDictionary<string, string> entries, string prefix, object value, int depth)
    {
        foreach (PropertyInfo property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0))
        {
            if (depth == 0 && Ignored.Contains(property.Name))
            {
                continue;
            }
            Type type = property.PropertyType;
            if (typeof(Delegate).IsAssignableFrom(type) || typeof(IDataView).IsAssignableFrom(type) || type.Namespace?.StartsWith("TorchSharp", StringComparison.Ordinal) == true)
            {
                continue;
            }
            AddValue(entries, prefix + property.Name, property.GetValue(value), depth);
        }
    }

    private static void AddValue(SortedDictionary<string, string> entries, string key, object? value, int depth)
    {
        switch (value)
        {
            case null:
                entries[key] = "null";
                break;
            case string text:
                entries[key] = text;
                break;
            case IFormattable formattable when value.GetType().IsPrimitive || value is decimal || value.GetType().IsEnum:
                entries[key] = formattable.ToString(value is double or float ? "R" : null, CultureInfo.InvariantCulture);
                break;
            case bool flag:
                entries[key] = flag ? "true" : "false";
                break;
            case IEnumerable items:
                entries[key] = "[" + string.Join(", ", items.Cast<object?>().Select(i => Convert.ToString(i, CultureInfo.InvariantCulture))) + "]";
                break;
            default:
                // A nested settings object (optimizer, schedule, model choice): its type, then its own settings.
                entries[key] = value.GetType().Name;
                if (depth < MaxDepth)
                {
                    Add(entries, key + ".", value, depth + 1);
                }
                break;
        }
    }
}

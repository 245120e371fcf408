using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Matches the label keys of validation data to the training data's by key value, so data mapped by its own
/// <c>MapValueToKey</c> (the same classes in another key order) is scored against the right classes.
/// </summary>
internal static class LabelKeyAlignment
{
    /// <summary>
    /// Returns <paramref name="data"/> itself when its label keys already mean what the training keys mean; a view whose
    /// label column uses the training key order when only the order (or a subset of the classes) differs; and throws,
    /// naming the column and the classes, when <paramref name="data"/> has classes the training data does not, or when
    /// key values are missing on one side and the key counts differ.
    /// </summary>
    /// <param name="data">The validation data.</param>
    /// <param name="trainingSchema">The training data's schema.</param>
    /// <param name="labelColumnName">The label column, a key type in both.</param>
    /// <param name="dataName">How errors name <paramref name="data"/>, e.g. "ValidationSet".</param>
    public static IDataView AlignTo(IDataView data, DataViewSchema trainingSchema, string labelColumnName, string dataName)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainingSchema);
        if (data.Schema.GetColumnOrNull(labelColumnName) == null)
        {
            throw new ArgumentException($"Label column '{labelColumnName}' was not found in {dataName}.", dataName);
        }
        LabelKeyInfo training = LabelKeyInfo.FromSchema(trainingSchema, labelColumnName);
        LabelKeyInfo other;
        try
        {
            other = LabelKeyInfo.FromSchema(data.Schema, labelColumnName);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{dataName}: {e.Message}", dataName, e);
        }
        if (training.KeyValues == null || other.KeyValues == null)
        {
            // Nothing to match by: keys are taken to mean the same, as long as there are as many.
            if (training.ClassCount != other.ClassCount)
            {
                string side = training.KeyValues == null ? "the training data" : dataName;
                throw new ArgumentException(
                    $"Label column '{labelColumnName}' has {other.ClassCount} classes in {dataName} but {training.ClassCount} in the training data, " +
                    $"and {side} has no key values to match them by; map both with the same key mapping.", dataName);
            }
            return data;
        }
        if (training.KeyValues.SequenceEqual(other.KeyValues, StringComparer.Ordinal))
        {
            return data;
        }
        var trainingKeys = new Dictionary<string, uint>(StringComparer.Ordinal);
        for (int i = 0; i < training.KeyValues.Count; i++)
        {
            trainingKeys.TryAdd(training.KeyValues[i], (uint)(i + 1));
        }
        string[] unknown = other.KeyValues.Where(v => !trainingKeys.ContainsKey(v)).Distinct().ToArray();
        if (unknown.Length > 0)
        {
            string shown = string.Join(", ", unknown.Take(10).Select(v => $"'{v}'")) + (unknown.Length > 10 ? $" and {unknown.Length - 10} more" : "");
            throw new ArgumentException(
                $"Label column '{labelColumnName}' of {dataName} has {unknown.Length} class(es) the training data does not have: {shown}. " +
                "A model cannot be scored on classes it never saw; drop those rows or map both with the same key mapping.", dataName);
        }
        // Key 0 (missing) stays missing; key k of the data becomes the training key of the same value.
        var map = new uint[other.ClassCount + 1];
        for (int k = 0; k < other.ClassCount; k++)
        {
            map[k + 1] = trainingKeys[other.KeyValues[k]];
        }
        return new LabelRemappedDataView(data, trainingSchema[labelColumnName], data.Schema[labelColumnName].Index, map);
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The label column's key type seen in training: the class count, and the key values (as text) when
/// the column carried them, so predictions map back to the original labels.
/// </summary>
public sealed class LabelKeyInfo
{
    /// <summary>Creates label information for <paramref name="classCount"/> classes.</summary>
    public LabelKeyInfo(int classCount, IReadOnlyList<string>? keyValues)
    {
        if (keyValues != null && keyValues.Count != classCount)
        {
            throw new ArgumentException($"{keyValues.Count} key values for {classCount} classes.", nameof(keyValues));
        }
        ClassCount = classCount;
        KeyValues = keyValues;
    }

    /// <summary>The number of classes (the key type's count).</summary>
    public int ClassCount { get; }

    /// <summary>The text of each key value, or null when the label column had none.</summary>
    public IReadOnlyList<string>? KeyValues { get; }

    /// <summary>
    /// Reads the label column of <paramref name="schema"/>, which must be a key type of known count;
    /// throws naming the column otherwise.
    /// </summary>
    public static LabelKeyInfo FromSchema(DataViewSchema schema, string labelColumnName)
    {
        DataViewSchema.Column column = schema.GetColumnOrNull(labelColumnName)
            ?? throw new ArgumentException($"Label column '{labelColumnName}' was not found in the training data.", nameof(labelColumnName));
        if (column.Type is not KeyDataViewType keyType || keyType.Count == 0 || keyType.Count > int.MaxValue)
        {
            throw new ArgumentException(
                $"Label column '{labelColumnName}' must be a key type of known size (was {column.Type}). " +
                "Map it with mlContext.Transforms.Conversion.MapValueToKey first.", nameof(labelColumnName));
        }
        int count = (int)keyType.Count;
        return new LabelKeyInfo(count, ReadKeyValues(column, count));
    }

    private static IReadOnlyList<string>? ReadKeyValues(DataViewSchema.Column column, int count)
    {
        DataViewSchema.Column? annotation = column.Annotations.Schema.GetColumnOrNull("KeyValues");
        if (annotation == null || annotation.Value.Type is not VectorDataViewType vectorType || vectorType.Size != count)
        {
            return null;
        }
        if (vectorType.ItemType is TextDataViewType)
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            column.Annotations.GetValue("KeyValues", ref values);
            return values.DenseValues().Select(v => v.ToString()).ToArray();
        }
        // Non-text key values (numbers, booleans) are kept by their invariant text.
        return ReadAsText(column, vectorType.ItemType.RawType, count);
    }

    private static IReadOnlyList<string>? ReadAsText(DataViewSchema.Column column, Type itemType, int count)
    {
        var method = typeof(LabelKeyInfo).GetMethod(nameof(ReadGeneric), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return (IReadOnlyList<string>?)method.MakeGenericMethod(itemType).Invoke(null, new object[] { column, count });
    }

    private static IReadOnlyList<string> ReadGeneric<T>(DataViewSchema.Column column, int count)
    {
        VBuffer<T> values = default;
        column.Annotations.GetValue("KeyValues", ref values);
        return values.DenseValues().Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();
    }

    internal void Write(BinaryWriter writer)
    {
        writer.Write(ClassCount);
        writer.Write(KeyValues != null);
        if (KeyValues != null)
        {
            foreach (string value in KeyValues)
            {
                writer.Write(value);
            }
        }
    }

    internal static LabelKeyInfo Read(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count < 2)
        {
            throw new InvalidDataException($"Saved class count {count} is invalid.");
        }
        string[]? values = null;
        if (reader.ReadBoolean())
        {
            // Each value takes at least its length byte: a larger count is garbage, not a reason to allocate.
            if (reader.BaseStream.CanSeek && count > reader.BaseStream.Length - reader.BaseStream.Position)
            {
                throw new InvalidDataException($"Saved class count {count} exceeds the bytes left in the model.");
            }
            values = new string[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = reader.ReadString();
            }
        }
        return new LabelKeyInfo(count, values);
    }
}

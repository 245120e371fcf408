using System;
using System.IO;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>The text column a classifier reads, and the optional second text of a sentence pair.</summary>
internal sealed record TextColumns(string Text, string? Pair)
{
    public string[] Names => Pair is null ? new[] { Text } : new[] { Text, Pair };

    /// <summary>Throws naming the column when it is missing or not text.</summary>
    public void Check(DataViewSchema schema)
    {
        foreach (string name in Names)
        {
            DataViewSchema.Column column = schema.GetColumnOrNull(name)
                ?? throw new ArgumentException($"Text column '{name}' was not found in the data.");
            if (column.Type is not TextDataViewType)
            {
                throw new ArgumentException($"Text column '{name}' must be of type String (text), not {column.Type}.");
            }
        }
    }

    /// <summary>Throws naming the column when it is missing or not scalar text.</summary>
    public void Check(SchemaShape schema)
    {
        foreach (string name in Names)
        {
            if (schema.Find(name) is not SchemaShape.Column column)
            {
                throw new ArgumentException($"Text column '{name}' was not found in the data.");
            }
            if (column.ItemType is not TextDataViewType || column.Kind != SchemaShape.Column.VectorKind.Scalar)
            {
                throw new ArgumentException($"Text column '{name}' must be a scalar of type String (text), not {column.Kind} of {column.ItemType}.");
            }
        }
    }

    /// <summary>Getters for the current row of <paramref name="row"/>; missing text reads as empty.</summary>
    public Func<(string Text, string? Pair)> CreateReader(DataViewRow row)
    {
        ValueGetter<ReadOnlyMemory<char>> text = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[Text]);
        ValueGetter<ReadOnlyMemory<char>>? pair = Pair is null ? null : row.GetGetter<ReadOnlyMemory<char>>(row.Schema[Pair]);
        ReadOnlyMemory<char> value = default;
        return () =>
        {
            text(ref value);
            string first = value.ToString();
            string? second = null;
            if (pair is not null)
            {
                pair(ref value);
                second = value.ToString();
            }
            return (first, second);
        };
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Text);
        writer.Write(Pair is not null);
        if (Pair is not null)
        {
            writer.Write(Pair);
        }
    }

    public static TextColumns Read(BinaryReader reader)
    {
        string text = reader.ReadString();
        string? pair = reader.ReadBoolean() ? reader.ReadString() : null;
        return new TextColumns(text, pair);
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Reads a checkpoint written by <see cref="CheckpointWriter"/>: checks the header, then reads every entry up front (so a
/// bad checkpoint is rejected before anything changes) and serves them by name. Owns the tensors it read until
/// disposed.
/// </summary>
internal sealed class CheckpointReader : IDisposable
{
    private readonly Dictionary<string, object> _entries = new(StringComparer.Ordinal);
    private readonly string _what;

    public CheckpointReader(Stream stream, CheckpointKind kind)
    {
        _what = CheckpointHeader.Describe(kind);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            Header = CheckpointHeader.Read(reader, kind);
            while (true)
            {
                string name = reader.ReadString();
                var type = (CheckpointEntryType)reader.ReadByte();
                if (type == CheckpointEntryType.End)
                {
                    break;
                }
                object value = type switch
                {
                    CheckpointEntryType.Int64 => reader.ReadInt64(),
                    CheckpointEntryType.Double => reader.ReadDouble(),
                    CheckpointEntryType.Boolean => reader.ReadBoolean(),
                    CheckpointEntryType.String => reader.ReadString(),
                    CheckpointEntryType.DoubleArray => ReadDoubles(reader),
                    CheckpointEntryType.Tensor => TensorIO.Read(reader, (ScalarType)reader.ReadInt32()),
                    _ => throw new InvalidDataException($"The {_what} checkpoint has an entry '{name}' of unknown type {(byte)type}."),
                };
                if (!_entries.TryAdd(name, value))
                {
                    (value as IDisposable)?.Dispose();
                    throw new InvalidDataException($"The {_what} checkpoint has entry '{name}' twice.");
                }
            }
        }
        catch (EndOfStreamException e)
        {
            Dispose();
            throw new InvalidDataException($"The {_what} checkpoint is truncated.", e);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public CheckpointHeader Header { get; }

    public bool Contains(string name) => _entries.ContainsKey(name);

    public long Int64(string name) => Get<long>(name);

    public double Double(string name) => Get<double>(name);

    public bool Boolean(string name) => Get<bool>(name);

    public string String(string name) => Get<string>(name);

    public double[] Doubles(string name) => Get<double[]>(name);

    /// <summary>A tensor entry, checked to have <paramref name="dtype"/> and <paramref name="numel"/> elements; still owned by the reader.</summary>
    public Tensor Tensor(string name, ScalarType dtype, long numel)
    {
        Tensor tensor = Get<Tensor>(name);
        if (tensor.dtype != dtype || tensor.numel() != numel)
        {
            throw Mismatch($"state '{name}' is {tensor.dtype} with {tensor.numel()} elements, expected {dtype} with {numel}");
        }
        return tensor;
    }

    /// <summary>The exception for a checkpoint that does not fit the object loading it.</summary>
    public InvalidDataException Mismatch(string what) =>
        new($"The {_what} checkpoint does not match this {_what}: {what}.");

    public void Dispose()
    {
        foreach (object value in _entries.Values)
        {
            (value as IDisposable)?.Dispose();
        }
        _entries.Clear();
    }

    private T Get<T>(string name)
    {
        if (!_entries.TryGetValue(name, out object? value))
        {
            throw Mismatch($"entry '{name}' is missing");
        }
        if (value is not T typed)
        {
            throw Mismatch($"entry '{name}' is a {value.GetType().Name}, expected {typeof(T).Name}");
        }
        return typed;
    }

    private static double[] ReadDoubles(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException("A checkpoint array has a negative length.");
        }
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = reader.ReadDouble();
        }
        return values;
    }
}

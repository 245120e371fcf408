using System;
using System.IO;
using System.Text;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>The type tag of a checkpoint entry.</summary>
internal enum CheckpointEntryType : byte
{
    End = 0,
    Int64 = 1,
    Double = 2,
    Boolean = 3,
    String = 4,
    DoubleArray = 5,
    Tensor = 6,
}

/// <summary>
/// Writes a checkpoint: the <see cref="CheckpointHeader"/>, then named, typed entries (e.g. "param_groups.0.lr"), then an
/// end marker. Readers look entries up by name, so a later version can add entries without moving the others.
/// </summary>
internal sealed class CheckpointWriter : IDisposable
{
    private readonly BinaryWriter _writer;
    private bool _finished;

    public CheckpointWriter(Stream stream, CheckpointHeader header)
    {
        _writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        header.Write(_writer);
    }

    public void Write(string name, long value)
    {
        Begin(name, CheckpointEntryType.Int64);
        _writer.Write(value);
    }

    public void Write(string name, double value)
    {
        Begin(name, CheckpointEntryType.Double);
        _writer.Write(value);
    }

    public void Write(string name, bool value)
    {
        Begin(name, CheckpointEntryType.Boolean);
        _writer.Write(value);
    }

    public void Write(string name, string value)
    {
        Begin(name, CheckpointEntryType.String);
        _writer.Write(value);
    }

    public void Write(string name, double[] values)
    {
        Begin(name, CheckpointEntryType.DoubleArray);
        _writer.Write(values.Length);
        foreach (double value in values)
        {
            _writer.Write(value);
        }
    }

    /// <summary>A one-dimensional tensor: its type, length and raw little-endian bytes.</summary>
    public void Write(string name, Tensor flat)
    {
        Begin(name, CheckpointEntryType.Tensor);
        _writer.Write((int)flat.dtype);
        TensorIO.Write(_writer, flat);
    }

    /// <summary>Writes the end marker; entries after it would be ignored by readers.</summary>
    public void Finish()
    {
        if (!_finished)
        {
            _writer.Write(string.Empty);
            _writer.Write((byte)CheckpointEntryType.End);
            _finished = true;
        }
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();

    private void Begin(string name, CheckpointEntryType type)
    {
        if (string.IsNullOrEmpty(name) || _finished)
        {
            throw new InvalidOperationException("Checkpoint entries need a name and must come before the end marker.");
        }
        _writer.Write(name);
        _writer.Write((byte)type);
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The optimizer state a trained model carries when <see cref="TorchTrainerOptions.SaveOptimizerState"/> is on: the
/// optimizer(s)' own <c>Save</c> format (the entries a training checkpoint holds, without the schedule's), and the
/// options type that made them, so a mismatch is named before any data is read. Immutable bytes: nothing native to dispose.
/// </summary>
internal sealed class TrainedOptimizerState
{
    private readonly Dictionary<string, byte[]> _entries;

    private TrainedOptimizerState(string optimizerType, Dictionary<string, byte[]> entries)
    {
        OptimizerType = optimizerType;
        _entries = entries;
    }

    /// <summary>The optimizer options' type name (e.g. <c>AdamWOptions</c>) of the fit that trained the model.</summary>
    public string OptimizerType { get; }

    /// <summary>The entry names, as in a training checkpoint (<c>optimizer</c>, Muon's <c>fallback_optimizer</c>).</summary>
    public IReadOnlyCollection<string> Names => _entries.Keys;

    /// <summary>The bytes <see cref="LoopOptimizer"/> wrote for entry <paramref name="name"/>, or null.</summary>
    public Stream? Open(string name) => _entries.TryGetValue(name, out byte[]? bytes) ? new MemoryStream(bytes, writable: false) : null;

    /// <summary>Captures the optimizer(s)' state at the end of a fit.</summary>
    public static TrainedOptimizerState Capture(TorchTrainerOptions options, LoopOptimizer optimizer)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach ((string name, Action<Stream> write) in optimizer.OptimizerEntries())
        {
            using var stream = new MemoryStream();
            write(stream);
            entries[name] = stream.ToArray();
        }
        return new TrainedOptimizerState(TypeName(options), entries);
    }

    /// <summary>The name recorded for the options' optimizer.</summary>
    public static string TypeName(TorchTrainerOptions options) => options.Optimizer.GetType().Name;

    /// <summary>Writes the state after the model's weights in the saved model's payload, each entry with its SHA-256.</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write(OptimizerType);
        writer.Write(_entries.Count);
        foreach ((string name, byte[] bytes) in _entries)
        {
            writer.Write(name);
            writer.Write(bytes.Length);
            writer.Write(SHA256.HashData(bytes));
            writer.Write(bytes);
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote; throws <see cref="InvalidDataException"/> naming the entry when it is damaged.</summary>
    public static TrainedOptimizerState Read(BinaryReader reader, string payloadName)
    {
        string type = reader.ReadString();
        int count = reader.ReadInt32();
        if (count < 1 || count > 8)
        {
            throw new InvalidDataException($"Entry '{payloadName}' of the model zip is corrupt: it claims {count} optimizer state entries.");
        }
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            int length = reader.ReadInt32();
            if (length < 0 || (reader.BaseStream.CanSeek && length > reader.BaseStream.Length - reader.BaseStream.Position))
            {
                throw new InvalidDataException($"Entry '{payloadName}' of the model zip is truncated or corrupt: optimizer state '{name}' claims {length} bytes.");
            }
            byte[] hash = reader.ReadBytes(SHA256.HashSizeInBytes);
            byte[] bytes = reader.ReadBytes(length);
            if (bytes.Length != length || !SHA256.HashData(bytes).AsSpan().SequenceEqual(hash))
            {
                throw new InvalidDataException($"Entry '{payloadName}' of the model zip is corrupt: optimizer state '{name}' fails its SHA-256 check.");
            }
            entries[name] = bytes;
        }
        return new TrainedOptimizerState(type, entries);
    }
}

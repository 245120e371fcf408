using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// One checkpoint file: an uncompressed zip whose entries are written in turn (safetensors for tensors, the optimizers'
/// own format for their state) and, last, <c>state.json</c> with the loop's counters and every other entry's SHA-256.
/// A file cut short has no zip directory and fails to open; a damaged entry fails its hash; either way
/// <see cref="Read"/> throws <see cref="InvalidDataException"/> naming the file before anything is restored.
/// </summary>
internal static class TrainingCheckpointFile
{
    private const string StateEntry = "state.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    /// <summary>Writes a checkpoint to <paramref name="path"/> (complete and flushed to disk when this returns).</summary>
    /// <param name="path">The file to create.</param>
    /// <param name="state">The counters; its <see cref="LoopState.EntryHashes"/> are filled in here.</param>
    /// <param name="entries">Each entry's name and how to write it.</param>
    public static void Write(string path, LoopState state, IEnumerable<(string Name, Action<Stream> Write)> entries)
    {
        state.EntryHashes.Clear();
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            using (var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach ((string name, Action<Stream> write) in entries)
                {
                    using Stream entry = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                    using var sha = SHA256.Create();
                    using (var hashing = new CryptoStream(entry, sha, CryptoStreamMode.Write, leaveOpen: true))
                    {
                        write(hashing);
                    }
                    state.EntryHashes[name] = Convert.ToHexString(sha.Hash!);
                }
                using Stream stateStream = zip.CreateEntry(StateEntry, CompressionLevel.NoCompression).Open();
                JsonSerializer.Serialize(stateStream, state, Json);
            }
            file.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// Opens a checkpoint, checks every entry's hash and returns its counters; <paramref name="read"/> then reads entries
    /// by name (null when absent). Throws <see cref="InvalidDataException"/> naming the file when it is truncated or damaged.
    /// </summary>
    public static T Read<T>(string path, Func<LoopState, Func<string, Stream?>, T> read)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(File.OpenRead(path), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(path, "it is not a complete checkpoint (truncated?): " + e.Message, e);
        }
        using (zip)
        {
            LoopState? state = null;
            string? problem = null;
            try
            {
                if (zip.GetEntry(StateEntry) is not ZipArchiveEntry stateEntry)
                {
                    problem = $"it has no {StateEntry}";
                }
                else
                {
                    using (Stream stream = stateEntry.Open())
                    {
                        state = JsonSerializer.Deserialize<LoopState>(stream, Json);
                    }
                    problem = state == null ? $"{StateEntry} is empty" : null;
                    foreach ((string name, string hash) in state?.EntryHashes ?? new SortedDictionary<string, string>())
                    {
                        if (zip.GetEntry(name) is not ZipArchiveEntry entry)
                        {
                            problem = $"entry '{name}' is missing";
                            break;
                        }
                        using Stream content = entry.Open();
                        if (Convert.ToHexString(SHA256.HashData(content)) != hash)
                        {
                            problem = $"entry '{name}' is damaged (its SHA-256 differs from the one recorded)";
                            break;
                        }
                    }
                }
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or IOException)
            {
                throw Corrupt(path, e.Message, e);
            }
            if (problem != null || state == null)
            {
                throw Corrupt(path, problem ?? "no state", null);
            }
            return read(state, name => zip.GetEntry(name)?.Open());
        }
    }

    /// <summary>Writes tensors as safetensors to an entry.</summary>
    public static Action<Stream> Tensors(IEnumerable<KeyValuePair<string, Tensor>> tensors)
        => stream => SafetensorsWriter.Write(stream, tensors.ToList());

    /// <summary>Reads an entry written by <see cref="Tensors"/> into CPU tensors the caller owns.</summary>
    public static Dictionary<string, Tensor> ReadTensors(Stream stream, string path, string entry)
    {
        try
        {
            using var reader = new SafetensorsReader(stream, $"{path}:{entry}");
            return reader.ReadAll();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
        {
            throw Corrupt(path, $"entry '{entry}' cannot be read: {e.Message}", e);
        }
    }

    private static InvalidDataException Corrupt(string path, string what, Exception? inner)
        => new($"Training checkpoint '{path}' is corrupt: {what}. Delete it to resume from the previous checkpoint in the folder, or start afresh.", inner);
}

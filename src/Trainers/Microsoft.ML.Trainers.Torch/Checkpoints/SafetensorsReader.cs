using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Reads tensors from a safetensors file or stream (the format Hugging Face and torchvision checkpoints are
/// commonly shared in). TorchSharp 0.107 has no safetensors reader, so this one is written here from the
/// format: an 8-byte little-endian header length, a JSON header, then the raw little-endian tensor bytes.
/// </summary>
/// <remarks>
/// Only the header is read when the reader is created; each tensor's bytes are then read straight into the
/// native memory of a new tensor, so a checkpoint is never held in managed memory. A seekable stream can be read
/// in any order; a forward-only stream (such as an entry of a zip archive) in file order, which is the order of
/// <see cref="Tensors"/>. Instances are not thread-safe.
/// </remarks>
public sealed class SafetensorsReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    /// <summary>Position in the data section of a forward-only stream.</summary>
    private long _forwardPosition;
    private bool _disposed;

    /// <summary>Opens a safetensors file and reads its header.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file or is truncated (the message names the file).</exception>
    public SafetensorsReader(string path)
        : this(OpenFile(path), path, leaveOpen: false)
    {
    }

    /// <summary>Reads the header of safetensors data that starts at the stream's current position.</summary>
    /// <param name="stream">The data; seekable streams can be read in any order, others in file order.</param>
    /// <param name="sourceName">How error messages name the data (a file name, or a model entry); defaults to "stream".</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="stream"/> open.</param>
    /// <exception cref="InvalidDataException">The data is not valid safetensors or is truncated.</exception>
    public SafetensorsReader(Stream stream, string? sourceName = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Safetensors data is little-endian; big-endian hosts are not supported.");
        }
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }
        _stream = stream;
        _leaveOpen = leaveOpen;
        SourceName = string.IsNullOrEmpty(sourceName) ? "stream" : sourceName;

        try
        {
            long? available = stream.CanSeek ? stream.Length - stream.Position : null;
            long origin = stream.CanSeek ? stream.Position : 0;
            (List<SafetensorsTensorInfo> tensors, Dictionary<string, string> metadata, long headerLength) =
                SafetensorsHeader.Read(stream, SourceName, available);
            _dataStart = origin + 8 + headerLength;
            Tensors = tensors;
            Metadata = metadata;
            _byName = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            foreach (SafetensorsTensorInfo info in tensors)
            {
                _byName.Add(info.Name, info);
            }
        }
        catch
        {
            if (!leaveOpen)
            {
                stream.Dispose();
            }
            throw;
        }
    }

    /// <summary>How error messages name the data: the file path, or the name given for a stream.</summary>
    public string SourceName { get; }

    /// <summary>The tensors in the file, in the order their bytes are stored.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> entries (empty when there are none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>True when tensors can be read in any order (the stream is seekable).</summary>
    public bool CanReadInAnyOrder => _stream.CanSeek;

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of a tensor, if present.</summary>
    public bool TryGetInfo(string name, out SafetensorsTensorInfo info)
    {
        bool found = _byName.TryGetValue(name, out SafetensorsTensorInfo? value);
        info = value!;
        return found;
    }

    /// <summary>The header entry of a tensor.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor (the message names the file and the tensor).</exception>
    public SafetensorsTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_byName.TryGetValue(name, out SafetensorsTensorInfo? info))
        {
            throw new KeyNotFoundException($"Safetensors file '{SourceName}' has no tensor named '{name}'.");
        }
        return info;
    }

    /// <summary>
    /// Reads one tensor into a new TorchSharp tensor (owned by the caller, and registered with the current
    /// dispose scope like any new tensor).
    /// </summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="dtype">Element type to convert to; null keeps the stored type (for example float16).</param>
    /// <param name="device">Device to move the tensor to; null keeps it on the CPU.</param>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="InvalidDataException">The file ends before the tensor's bytes do.</exception>
    /// <exception cref="InvalidOperationException">A forward-only stream has already been read past the tensor.</exception>
    public Tensor ReadTensor(string name, ScalarType? dtype = null, Device? device = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SafetensorsTensorInfo info = GetInfo(name);
        MoveTo(info);

        Tensor raw = empty(info.ShapeArray, dtype: SafetensorsDTypes.ToScalarType(info.DType));
        try
        {
            TensorByteChunks.Read(_stream, raw, SourceName, name);
            _forwardPosition = info.DataOffset + info.ByteLength;
        }
        catch
        {
            raw.Dispose();
            throw;
        }

        Tensor result = raw;
        if (dtype is ScalarType type && type != result.dtype)
        {
            Tensor converted = result.to_type(type);
            result.Dispose();
            result = converted;
        }
        if (device is not null && device.type != DeviceType.CPU)
        {
            Tensor moved = result.to(device);
            result.Dispose();
            result = moved;
        }
        return result;
    }

    /// <summary>
    /// Reads every tensor, in file order (so forward-only streams work), into a new dictionary of tensors
    /// owned by the caller.
    /// </summary>
    /// <param name="floatingPointDType">Element type for floating-point tensors (integer and boolean tensors keep theirs); null keeps the stored types.</param>
    /// <param name="device">Device for the tensors; null keeps them on the CPU.</param>
    public Dictionary<string, Tensor> ReadAll(ScalarType? floatingPointDType = null, Device? device = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (SafetensorsTensorInfo info in Tensors)
            {
                bool isFloat = info.DType is SafetensorsDType.F64 or SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16;
                result.Add(info.Name, ReadTensor(info.Name, isFloat ? floatingPointDType : null, device));
            }
        }
        catch
        {
            foreach (Tensor t in result.Values)
            {
                t.Dispose();
            }
            throw;
        }
        return result;
    }

    /// <summary>Closes the underlying stream unless the reader was created with <c>leaveOpen</c>.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    private void MoveTo(SafetensorsTensorInfo info)
    {
        if (_stream.CanSeek)
        {
            _stream.Position = _dataStart + info.DataOffset;
            return;
        }
        if (info.DataOffset < _forwardPosition)
        {
            throw new InvalidOperationException(
                $"'{SourceName}' is a forward-only stream and has been read past tensor '{info.Name}'. " +
                "Read tensors in file order (the order of Tensors) or use a seekable stream.");
        }
        long skip = info.DataOffset - _forwardPosition;
        if (skip > 0)
        {
            byte[] scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(skip, 1 << 20));
            try
            {
                while (skip > 0)
                {
                    int n = (int)Math.Min(skip, scratch.Length);
                    SafetensorsHeader.ReadExactly(_stream, scratch.AsSpan(0, n), SourceName, $"the bytes before tensor '{info.Name}'");
                    skip -= n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
            _forwardPosition = info.DataOffset;
        }
    }

    private static FileStream OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Unbuffered: tensor bytes are read in large blocks straight into native memory.
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
    }
}

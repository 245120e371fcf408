using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Writes tensors in the safetensors format (readable by the Python <c>safetensors</c> package,
/// <c>transformers</c> and this library's <see cref="SafetensorsReader"/>). Hand-written: TorchSharp 0.107 has
/// no safetensors support.
/// </summary>
/// <remarks>
/// Tensors are written in the order given, each copied to the CPU and made contiguous one at a time, so the
/// peak extra memory is one tensor. The header is padded with spaces to a multiple of 8 bytes, as the
/// reference writer does.
/// </remarks>
public static class SafetensorsWriter
{
    /// <summary>Writes tensors to a new file (replacing an existing one).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Name and tensor pairs; names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string entries stored under <c>__metadata__</c>.</param>
    /// <param name="floatingPointDType">Element type to store floating-point tensors in (for example float16); null keeps each tensor's type.</param>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        ScalarType? floatingPointDType = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        List<KeyValuePair<string, Tensor>> list = tensors.ToList();
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        Write(file, list, metadata, floatingPointDType);
    }

    /// <summary>Writes tensors to a stream, starting at its current position; the stream is left open.</summary>
    /// <param name="stream">The destination, for example an entry of an ML.NET model archive.</param>
    /// <param name="tensors">Name and tensor pairs; names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string entries stored under <c>__metadata__</c>.</param>
    /// <param name="floatingPointDType">Element type to store floating-point tensors in (for example float16); null keeps each tensor's type.</param>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        ScalarType? floatingPointDType = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Safetensors data is little-endian; big-endian hosts are not supported.");
        }

        List<KeyValuePair<string, Tensor>> list = tensors.ToList();
        var infos = new List<SafetensorsTensorInfo>(list.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        long offset = 0;
        foreach ((string name, Tensor tensor) in list)
        {
            if (string.IsNullOrEmpty(name) || name == SafetensorsHeader.MetadataKey)
            {
                throw new ArgumentException($"'{name}' is not a valid safetensors tensor name.", nameof(tensors));
            }
            if (!names.Add(name))
            {
                throw new ArgumentException($"Tensor name '{name}' appears twice.", nameof(tensors));
            }
            ArgumentNullException.ThrowIfNull(tensor, $"tensors['{name}']");
            SafetensorsDType dtype;
            try
            {
                dtype = SafetensorsDTypes.FromScalarType(StoredType(tensor, floatingPointDType));
            }
            catch (NotSupportedException ex)
            {
                throw new NotSupportedException($"Tensor '{name}': {ex.Message}", ex);
            }
            long bytes = checked(tensor.numel() * SafetensorsDTypes.ElementSize(dtype));
            infos.Add(new SafetensorsTensorInfo(name, dtype, tensor.shape, offset, bytes));
            offset += bytes;
        }

        byte[] header = SafetensorsHeader.Build(infos, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);

        foreach ((string _, Tensor tensor) in list)
        {
            using DisposeScope scope = NewDisposeScope();
            // Converted copies are made one tensor at a time, so only one extra tensor is alive.
            Tensor cpu = tensor.detach();
            if (cpu.device_type != DeviceType.CPU)
            {
                cpu = cpu.cpu();
            }
            ScalarType stored = StoredType(tensor, floatingPointDType);
            if (cpu.dtype != stored)
            {
                cpu = cpu.to_type(stored);
            }
            TensorByteChunks.Write(stream, cpu.contiguous());
        }
    }

    /// <summary>Writes (name, tensor) pairs, as TorchSharp's <c>named_parameters()</c> yields them, to a stream.</summary>
    /// <param name="stream">The destination; left open.</param>
    /// <param name="tensors">Name and tensor pairs; names must be unique.</param>
    /// <param name="metadata">Optional string entries stored under <c>__metadata__</c>.</param>
    /// <param name="floatingPointDType">Element type to store floating-point tensors in; null keeps each tensor's type.</param>
    public static void Write(Stream stream, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        ScalarType? floatingPointDType = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Write(stream, tensors.Select(t => new KeyValuePair<string, Tensor>(t.Name, t.Tensor)), metadata, floatingPointDType);
    }

    private static ScalarType StoredType(Tensor tensor, ScalarType? floatingPointDType) =>
        floatingPointDType is ScalarType type && tensor.is_floating_point() ? type : tensor.dtype;
}

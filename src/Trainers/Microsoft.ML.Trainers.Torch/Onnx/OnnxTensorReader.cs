using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.Trainers.Torch.Onnx.Protos;
using static TorchSharp.torch;
using DataType = Microsoft.ML.Trainers.Torch.Onnx.Protos.TensorProto.Types.DataType;

namespace Microsoft.ML.Trainers.Torch.Onnx;

/// <summary>
/// Turns an ONNX <see cref="TensorProto"/> into a TorchSharp tensor of the same element type and shape, from
/// whichever field holds the data: <c>raw_data</c> (little-endian bytes), the typed fields
/// (<c>float_data</c>, <c>int32_data</c> - which also carries 8/16-bit and float16 values -, <c>int64_data</c>,
/// <c>double_data</c>, <c>uint64_data</c>), or external data in a file beside the model.
/// </summary>
internal static class OnnxTensorReader
{
    /// <summary>Whether the tensor holds integers (or booleans).</summary>
    public static bool IsInteger(TensorProto proto) => (DataType)proto.DataType is DataType.Int64 or DataType.Int32 or DataType.Int16
        or DataType.Int8 or DataType.Uint8 or DataType.Uint16 or DataType.Uint32 or DataType.Uint64 or DataType.Bool;

    /// <summary>Whether the tensor holds floating-point numbers.</summary>
    public static bool IsFloatingPoint(TensorProto proto) =>
        (DataType)proto.DataType is DataType.Float or DataType.Double or DataType.Float16 or DataType.Bfloat16;

    /// <summary>Reads <paramref name="proto"/>; <paramref name="name"/> and <paramref name="modelPath"/> name it in errors.</summary>
    /// <exception cref="InvalidDataException">Unsupported element type, or the data does not match the shape.</exception>
    public static Tensor Read(TensorProto proto, string name, string modelPath)
    {
        var dataType = (DataType)proto.DataType;
        ScalarType type = ToScalarType(dataType, name, modelPath);
        long[] shape = proto.Dims.ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (shape.Any(d => d < 0))
        {
            throw new InvalidDataException($"ONNX tensor '{name}' in '{modelPath}' has a negative dimension [{string.Join(", ", shape)}].");
        }

        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            return ReadExternal(proto, name, modelPath, type, shape, count);
        }
        if (proto.HasRawData)
        {
            return FromBytes(proto.RawData.Span, type, shape, count, name, modelPath);
        }
        Tensor result = dataType switch
        {
            DataType.Float => FromValues(proto.FloatData.ToArray(), shape, count, name, modelPath),
            DataType.Double => FromValues(proto.DoubleData.ToArray(), shape, count, name, modelPath),
            DataType.Int64 => FromValues(proto.Int64Data.ToArray(), shape, count, name, modelPath),
            DataType.Int32 => FromValues(proto.Int32Data.ToArray(), shape, count, name, modelPath),
            DataType.Uint64 => FromValues(proto.Uint64Data.Select(v => unchecked((long)v)).ToArray(), shape, count, name, modelPath),
            // ONNX stores these in int32_data, one value (or its bit pattern) per entry.
            DataType.Int16 or DataType.Int8 or DataType.Uint8 or DataType.Bool or DataType.Float16 or DataType.Bfloat16 or DataType.Uint16 =>
                Narrow(proto.Int32Data.ToArray(), type, shape, count, name, modelPath),
            _ => throw new InvalidDataException($"ONNX tensor '{name}' in '{modelPath}' stores {dataType} values in a field this reader does not support."),
        };
        return result;
    }

    private static ScalarType ToScalarType(DataType type, string name, string modelPath) => type switch
    {
        DataType.Float => ScalarType.Float32,
        DataType.Double => ScalarType.Float64,
        DataType.Float16 => ScalarType.Float16,
        DataType.Bfloat16 => ScalarType.BFloat16,
        DataType.Int64 => ScalarType.Int64,
        DataType.Int32 => ScalarType.Int32,
        DataType.Int16 => ScalarType.Int16,
        DataType.Int8 => ScalarType.Int8,
        DataType.Uint8 => ScalarType.Byte,
        DataType.Bool => ScalarType.Bool,
        // libtorch has no unsigned 16/32/64-bit tensors in TorchSharp; the widest signed type holds the values used in graphs (shapes, indices).
        DataType.Uint16 or DataType.Uint32 or DataType.Uint64 => ScalarType.Int64,
        _ => throw new InvalidDataException($"ONNX tensor '{name}' in '{modelPath}' has element type {type}, which cannot be read as a tensor."),
    };

    private static Tensor FromBytes(ReadOnlySpan<byte> bytes, ScalarType type, long[] shape, long count, string name, string modelPath)
    {
        int elementSize = ElementSize(type);
        if (bytes.Length != count * elementSize)
        {
            throw new InvalidDataException(
                $"ONNX tensor '{name}' in '{modelPath}' has {bytes.Length} bytes of data but shape [{string.Join(", ", shape)}] of {type} needs {count * elementSize}.");
        }
        Tensor result = empty(shape, dtype: type);
        if (count > 0)
        {
            // raw_data is little-endian, like every platform TorchSharp runs on; one copy into native memory.
            bytes.CopyTo(result.bytes);
        }
        return result;
    }

    private static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    private static Tensor FromValues<T>(T[] values, long[] shape, long count, string name, string modelPath) where T : unmanaged
    {
        CheckCount(values.LongLength, count, shape, name, modelPath);
        ScalarType type = values switch
        {
            float[] => ScalarType.Float32,
            double[] => ScalarType.Float64,
            int[] => ScalarType.Int32,
            _ => ScalarType.Int64,
        };
        return FromBytes(MemoryMarshal.AsBytes(values.AsSpan()), type, shape, count, name, modelPath);
    }

    private static Tensor Narrow(int[] values, ScalarType type, long[] shape, long count, string name, string modelPath)
    {
        CheckCount(values.LongLength, count, shape, name, modelPath);
        switch (type)
        {
            case ScalarType.Float16:
            case ScalarType.BFloat16:
            {
                // int32_data carries the 16-bit patterns; reinterpret them through little-endian bytes.
                short[] bits = values.Select(v => unchecked((short)v)).ToArray();
                return FromBytes(MemoryMarshal.AsBytes(bits.AsSpan()), type, shape, count, name, modelPath);
            }
            case ScalarType.Bool:
                return tensor(values.Select(v => v != 0).ToArray(), shape);
            case ScalarType.Byte:
                return tensor(values.Select(v => (byte)v).ToArray(), shape);
            case ScalarType.Int8:
                return tensor(values.Select(v => (sbyte)v).ToArray(), shape);
            case ScalarType.Int16:
                return tensor(values.Select(v => (short)v).ToArray(), shape);
            default: // uint16 widened to int64
                return tensor(values.Select(v => (long)v).ToArray(), shape);
        }
    }

    private static void CheckCount(long actual, long expected, long[] shape, string name, string modelPath)
    {
        if (actual != expected)
        {
            throw new InvalidDataException(
                $"ONNX tensor '{name}' in '{modelPath}' has {actual} values but shape [{string.Join(", ", shape)}] needs {expected}.");
        }
    }

    private static Tensor ReadExternal(TensorProto proto, string name, string modelPath, ScalarType type, long[] shape, long count)
    {
        Dictionary<string, string> entries = proto.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!entries.TryGetValue("location", out string? location) || location.Length == 0)
        {
            throw new InvalidDataException($"ONNX tensor '{name}' in '{modelPath}' is stored externally but names no location.");
        }
        string folder = Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        string path = Path.GetFullPath(Path.Combine(folder, location));
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX tensor '{name}' of '{modelPath}' is stored in '{path}', which does not exist.", path);
        }
        long offset = entries.TryGetValue("offset", out string? o) ? long.Parse(o, System.Globalization.CultureInfo.InvariantCulture) : 0;
        long length = entries.TryGetValue("length", out string? l) ? long.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : count * ElementSize(type);
        if (length != count * ElementSize(type))
        {
            throw new InvalidDataException(
                $"ONNX tensor '{name}' of '{modelPath}' has {length} external bytes but shape [{string.Join(", ", shape)}] of {type} needs {count * ElementSize(type)}.");
        }
        Tensor result = empty(shape, dtype: type);
        try
        {
            using FileStream stream = File.OpenRead(path);
            stream.Position = offset;
            TensorByteChunks.Read(stream, result, path, name);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }
}

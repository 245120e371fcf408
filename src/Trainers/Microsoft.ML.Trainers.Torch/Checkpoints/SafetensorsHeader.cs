using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Parses and writes the safetensors header: an 8-byte little-endian length, then that many bytes of
/// UTF-8 JSON mapping each tensor name to <c>{dtype, shape, data_offsets}</c>, with an optional
/// <c>__metadata__</c> object of string values.
/// </summary>
internal static class SafetensorsHeader
{
    internal const string MetadataKey = "__metadata__";

    /// <summary>The reference implementation refuses headers above 100 MB; so do we, so a corrupt length fails fast.</summary>
    internal const long MaxHeaderLength = 100_000_000;

    /// <summary>
    /// Reads and validates the header; <paramref name="bytesAvailable"/> (bytes from the length field to the end of
    /// the stream, when known) lets a truncated file fail here rather than half-way through loading.
    /// </summary>
    internal static (List<SafetensorsTensorInfo> Tensors, Dictionary<string, string> Metadata, long HeaderLength) Read(
        Stream stream, string source, long? bytesAvailable)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(stream, lengthBytes, source, "the 8-byte header length");
        ulong rawLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (rawLength == 0 || rawLength > MaxHeaderLength)
        {
            throw new InvalidDataException(
                $"'{source}' is not a safetensors file: its header length {rawLength} is outside 1..{MaxHeaderLength} bytes.");
        }
        long headerLength = (long)rawLength;
        if (bytesAvailable is long available && 8 + headerLength > available)
        {
            throw new InvalidDataException(
                $"Safetensors file '{source}' is truncated: its header needs {headerLength} bytes but only {available - 8} follow the length field.");
        }

        byte[] json = new byte[headerLength];
        ReadExactly(stream, json, source, "the JSON header");

        List<SafetensorsTensorInfo> tensors;
        Dictionary<string, string> metadata;
        try
        {
            (tensors, metadata) = Parse(json, source);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Safetensors file '{source}' has a malformed JSON header: {ex.Message}", ex);
        }

        long dataLength = tensors.Count == 0 ? 0 : tensors.Max(t => t.DataOffset + t.ByteLength);
        if (bytesAvailable is long total && 8 + headerLength + dataLength > total)
        {
            throw new InvalidDataException(
                $"Safetensors file '{source}' is truncated: its tensors need {dataLength} bytes of data after the header but only {total - 8 - headerLength} are present.");
        }
        return (tensors, metadata, headerLength);
    }

    private static (List<SafetensorsTensorInfo>, Dictionary<string, string>) Parse(byte[] json, string source)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"Safetensors file '{source}': the header is not a JSON object.");
        }

        var tensors = new List<SafetensorsTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty entry in doc.RootElement.EnumerateObject())
        {
            if (!names.Add(entry.Name))
            {
                throw new InvalidDataException($"Safetensors file '{source}': tensor '{entry.Name}' appears twice in the header.");
            }
            if (entry.Name == MetadataKey)
            {
                ReadMetadata(entry.Value, source, metadata);
                continue;
            }
            tensors.Add(ParseTensor(entry.Name, entry.Value, source));
        }

        // File order: reading in this order never seeks backwards, which lets non-seekable streams load.
        tensors.Sort((a, b) => a.DataOffset.CompareTo(b.DataOffset));
        for (int i = 1; i < tensors.Count; i++)
        {
            SafetensorsTensorInfo prev = tensors[i - 1], cur = tensors[i];
            if (cur.DataOffset < prev.DataOffset + prev.ByteLength)
            {
                throw new InvalidDataException(
                    $"Safetensors file '{source}': the bytes of tensors '{prev.Name}' and '{cur.Name}' overlap.");
            }
        }
        return (tensors, metadata);
    }

    private static void ReadMetadata(JsonElement value, string source, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"Safetensors file '{source}': '{MetadataKey}' must be an object of strings.");
        }
        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException(
                    $"Safetensors file '{source}': metadata entry '{item.Name}' must be a string, not {item.Value.ValueKind}.");
            }
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsTensorInfo ParseTensor(string name, JsonElement value, string source)
    {
        string where = $"Safetensors file '{source}', tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{where}: the header entry is not an object.");
        }
        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"{where}: missing string field 'dtype'.");
        }
        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParseHeaderName(dtypeName, out SafetensorsDType dtype))
        {
            throw new NotSupportedException(
                $"{where}: dtype '{dtypeName}' is not supported (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL).");
        }

        if (!value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{where}: missing array field 'shape'.");
        }
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        long count = 1;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long size) || size < 0)
            {
                throw new InvalidDataException($"{where}: shape entries must be non-negative integers.");
            }
            shape[i++] = size;
            count = checked(count * size);
        }

        if (!value.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end)
            || begin < 0 || end < begin)
        {
            throw new InvalidDataException($"{where}: 'data_offsets' must be [begin, end] with 0 <= begin <= end.");
        }
        long expected = checked(count * SafetensorsDTypes.ElementSize(dtype));
        if (end - begin != expected)
        {
            throw new InvalidDataException(
                $"{where}: data_offsets [{begin}, {end}] span {end - begin} bytes, but {dtypeName} {SafetensorsTensorInfo.FormatShape(shape)} needs {expected}.");
        }
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end - begin);
    }

    /// <summary>Serializes a header, padded with spaces to a multiple of 8 bytes as the reference writer does (keeps data aligned).</summary>
    internal static byte[] Build(IEnumerable<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> item in metadata)
                {
                    writer.WriteString(item.Key, item.Value);
                }
                writer.WriteEndObject();
            }
            foreach (SafetensorsTensorInfo t in tensors)
            {
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", SafetensorsDTypes.ToHeaderName(t.DType));
                writer.WriteStartArray("shape");
                foreach (long d in t.ShapeArray)
                {
                    writer.WriteNumberValue(d);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(t.DataOffset);
                writer.WriteNumberValue(t.DataOffset + t.ByteLength);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int p = 0; p < padding; p++)
        {
            buffer.WriteByte((byte)' ');
        }
        return buffer.ToArray();
    }

    internal static void ReadExactly(Stream stream, Span<byte> destination, string source, string what)
    {
        try
        {
            stream.ReadExactly(destination);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"Safetensors file '{source}' is truncated: end of data while reading {what}.", ex);
        }
    }

}

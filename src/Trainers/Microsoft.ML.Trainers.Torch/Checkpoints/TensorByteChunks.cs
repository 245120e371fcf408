using System;
using System.IO;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Moves the raw bytes of a contiguous CPU tensor to and from a stream without an intermediate managed copy.
/// <see cref="Tensor.bytes"/> is a span over the tensor's native memory, but spans are int-indexed, so large
/// tensors go through in element-aligned chunks (narrowed views of the flattened tensor).
/// </summary>
internal static class TensorByteChunks
{
    private const long ChunkBytes = 1L << 26;

    /// <summary>Fills <paramref name="target"/> (contiguous, on the CPU) from the stream.</summary>
    internal static void Read(Stream stream, Tensor target, string source, string tensorName)
    {
        ForEachChunk(target, span =>
            SafetensorsHeader.ReadExactly(stream, span, source, $"the bytes of tensor '{tensorName}'"));
    }

    /// <summary>Writes the bytes of <paramref name="tensor"/> (contiguous, on the CPU) to the stream.</summary>
    internal static void Write(Stream stream, Tensor tensor)
    {
        ForEachChunk(tensor, span => stream.Write(span));
    }

    private delegate void SpanAction(Span<byte> span);

    private static void ForEachChunk(Tensor tensor, SpanAction action)
    {
        long count = tensor.numel();
        if (count == 0)
        {
            return;
        }
        long elementSize = tensor.element_size();
        long chunkElements = Math.Max(1, ChunkBytes / elementSize);
        if (count <= chunkElements)
        {
            action(tensor.bytes);
            return;
        }
        using Tensor flat = tensor.reshape(-1);
        for (long start = 0; start < count; start += chunkElements)
        {
            using Tensor part = flat.narrow(0, start, Math.Min(chunkElements, count - start));
            action(part.bytes);
        }
    }
}

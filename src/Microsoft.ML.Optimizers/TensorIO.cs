using System;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>Raw little-endian tensor bytes in checkpoints, written in pieces so that buffers beyond 2 GB work.</summary>
internal static class TensorIO
{
    private const long PieceBytes = 1 << 26;

    public static void Write(BinaryWriter writer, Tensor flat)
    {
        long elementSize = flat.element_size();
        long perPiece = Math.Max(1, PieceBytes / elementSize);
        writer.Write(flat.numel());
        for (long start = 0; start < flat.numel(); start += perPiece)
        {
            long length = Math.Min(perPiece, flat.numel() - start);
            using Tensor piece = flat.narrow(0, start, length);
            using Tensor cpu = piece.device_type == DeviceType.CPU ? piece.alias() : piece.cpu();
            writer.Write(cpu.bytes);
        }
    }

    public static Tensor Read(BinaryReader reader, ScalarType dtype, long numel)
    {
        long count = reader.ReadInt64();
        if (count != numel)
        {
            throw new InvalidDataException($"The optimizer checkpoint does not match this optimizer: a state buffer has {count} elements, expected {numel}.");
        }
        Tensor result = torch.empty(numel, dtype);
        long elementSize = result.element_size();
        long perPiece = Math.Max(1, PieceBytes / elementSize);
        for (long start = 0; start < numel; start += perPiece)
        {
            long length = Math.Min(perPiece, numel - start);
            byte[] bytes = reader.ReadBytes(checked((int)(length * elementSize)));
            if (bytes.Length != length * elementSize)
            {
                throw new InvalidDataException("The optimizer checkpoint is truncated.");
            }
            using Tensor piece = result.narrow(0, start, length);
            piece.bytes = bytes;
        }
        return result;
    }
}

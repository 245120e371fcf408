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

    /// <summary>Reads a tensor written by <see cref="Write"/> into a new CPU tensor of <paramref name="dtype"/>, detached from any dispose scope.</summary>
    public static Tensor Read(BinaryReader reader, ScalarType dtype)
    {
        long numel = reader.ReadInt64();
        if (numel < 0 || !Enum.IsDefined(dtype))
        {
            throw new InvalidDataException($"A checkpoint tensor has an invalid header ({dtype}, {numel} elements).");
        }
        Tensor result = torch.empty(numel, dtype).DetachFromDisposeScope();
        try
        {
            long elementSize = result.element_size();
            long perPiece = Math.Max(1, PieceBytes / elementSize);
            for (long start = 0; start < numel; start += perPiece)
            {
                long length = Math.Min(perPiece, numel - start);
                byte[] bytes = reader.ReadBytes(checked((int)(length * elementSize)));
                if (bytes.Length != length * elementSize)
                {
                    throw new EndOfStreamException("A checkpoint tensor is truncated.");
                }
                using Tensor piece = result.narrow(0, start, length);
                piece.bytes = bytes;
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }
}

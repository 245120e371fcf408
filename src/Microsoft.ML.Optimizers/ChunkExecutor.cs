using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>Work on one piece of a segment: the segment's index, the piece's offset and length, the worker number.</summary>
internal delegate void ChunkBody(int segmentIndex, long offset, long length, int worker);

/// <summary>
/// Walks the segments of a flat bucket in cache-sized pieces spread over the intra-op threads: the portable update
/// paths and the gradient norm run their few in-place operations per piece, so each piece stays in cache and the
/// workspace stays a few pieces large. Hand-written: libtorch parallelizes inside one operation, not across a
/// sequence of operations on the same piece.
/// </summary>
internal static class ChunkExecutor
{
    /// <summary>
    /// Elements per piece on the CPU: just under ATen's parallelization grain (32768), so each operation runs on the
    /// calling thread without a thread-pool hand-off, while the pieces themselves are spread over the intra-op threads.
    /// </summary>
    public const long CpuChunkElements = 32768 - 64;

    /// <summary>Elements per piece on other devices, where one large kernel per operation is best.</summary>
    public const long DeviceChunkElements = 1 << 22;

    /// <summary>
    /// Elements per piece on the CPU for updates that run many small operations per piece (the layer-wise optimizers'
    /// per-tensor norms and two passes): TorchSharp's per-call cost (a few microseconds) then outweighs the cache benefit
    /// of small pieces, so pieces are larger and each operation is spread over the intra-op threads by ATen itself.
    /// </summary>
    public const long CpuLargeChunkElements = 1 << 18;

    /// <summary>
    /// Runs <paramref name="body"/> over all pieces of <paramref name="segments"/>, on up to the intra-op thread count of
    /// workers (CPU) each with its own slice of the bucket's <see cref="Workspace"/>s; <paramref name="prepare"/> first
    /// learns the worker count. Each piece runs under <c>no_grad</c> in its own dispose scope.
    /// </summary>
    /// <param name="bucket">The flat buffers.</param>
    /// <param name="segments">The runs of the bucket to walk.</param>
    /// <param name="prepare">Called first with the worker count.</param>
    /// <param name="body">The work on one piece.</param>
    /// <param name="largePieces">
    /// On the CPU, walk <see cref="CpuLargeChunkElements"/>-sized pieces on the calling thread, each operation threaded by
    /// ATen (for bodies that run many operations per piece).
    /// </param>
    public static void ForEach<TRun>(FlatBucket bucket, IReadOnlyList<Segment<TRun>> segments, Action<int>? prepare, ChunkBody body,
        bool largePieces = false)
        where TRun : struct, IEquatable<TRun>
    {
        bool cpu = bucket.Device.type == DeviceType.CPU;
        long chunk = !cpu ? DeviceChunkElements : largePieces ? CpuLargeChunkElements : CpuChunkElements;
        var pieces = new List<(int segment, long offset, long length)>();
        for (int i = 0; i < segments.Count; i++)
        {
            for (long start = 0; start < segments[i].Length; start += chunk)
            {
                pieces.Add((i, segments[i].Offset + start, Math.Min(chunk, segments[i].Length - start)));
            }
        }
        int workers = cpu && !largePieces ? Math.Clamp(torch.get_num_threads(), 1, Math.Max(1, pieces.Count)) : 1;
        bucket.EnsureWorkspace(workers, chunk);
        prepare?.Invoke(workers);

        void Run(int worker)
        {
            using var noGrad = torch.no_grad();
            // Contiguous runs of pieces per worker keep memory access sequential.
            int first = (int)((long)pieces.Count * worker / workers);
            int end = (int)((long)pieces.Count * (worker + 1) / workers);
            for (int i = first; i < end; i++)
            {
                using DisposeScope scope = torch.NewDisposeScope();
                body(pieces[i].segment, pieces[i].offset, pieces[i].length, worker);
            }
        }

        if (workers == 1)
        {
            Run(0);
            return;
        }
        try
        {
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, Run);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}

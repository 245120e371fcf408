using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// An optimizer over TorchSharp parameters with PyTorch's semantics: <see cref="Step"/> updates every parameter that has
/// a gradient, using the hyperparameters of its <see cref="ParameterGroup"/>. Create one with
/// <see cref="OptimizerOptions.Create(IEnumerable{Parameter})"/>.
/// </summary>
/// <remarks>
/// <para>
/// For speed, the optimizer packs each group's parameters (per dtype and device) into one contiguous buffer and makes
/// every parameter, and its gradient, a view of it: a step is a few large operations (or one fused libtorch kernel)
/// instead of dozens of small ones per tensor. Parameters therefore must not be moved to another device or type after
/// the optimizer is created. Gradients that stop being views (e.g. after <c>module.zero_grad()</c>, which sets them to
/// null so that backward allocates new ones) are detected and copied back in at the next step. A parameter can belong
/// to one live optimizer at a time (each points the parameters at its own buffer); dispose the old optimizer before
/// creating a new one over the same model.
/// </para>
/// <para>
/// A tensor without a gradient in a step is skipped entirely, as in PyTorch: no weight decay, no state change, and its
/// own step count (used for bias correction) does not advance.
/// </para>
/// </remarks>
public abstract class Optimizer : IDisposable
{
    /// <summary>
    /// Elements per piece when the portable path and the norm computation walk the flat buffers on the CPU: just under
    /// ATen's parallelization grain (32768), so each operation runs on the calling thread without a thread-pool
    /// hand-off, while the pieces themselves are spread over the intra-op threads. A piece's several operations then
    /// run in cache, and the workspace stays small.
    /// </summary>
    internal const long CpuChunkElements = 32768 - 64;

    /// <summary>Elements per piece on other devices, where one large kernel per operation is best.</summary>
    internal const long DeviceChunkElements = 1 << 22;

    /// <summary>
    /// libtorch's fused kernels round exactly like PyTorch's reference loop (fused multiply-adds, exact square root) in
    /// their vectorized loop, but not in the scalar loop that finishes a tensor whose length is not a multiple of the
    /// vector width. Fused calls therefore get whole multiples of this many elements (a multiple of every CPU vector
    /// width and cache-line unit they use), and the few remaining elements take the portable path.
    /// </summary>
    internal const long FusedAlignment = 64;

    private const string CheckpointMagic = "MLOPTIM1";
    private const int CheckpointVersion = 1;

    private readonly ParameterGroup[] _groups;
    private readonly FlatBucket[] _buckets;
    private readonly Dictionary<Parameter, (FlatBucket Bucket, Slot Slot)> _slots;
    private readonly List<Segment> _segments = new();
    private readonly List<Segment> _bodies = new();
    private readonly List<Segment> _tails = new();
    private readonly Func<Slot, long> _segmentKey;
    private bool _disposed;

    private protected Optimizer(OptimizerOptions options, IReadOnlyList<ParameterGroup> groups, IReadOnlyList<string> stateNames)
    {
        AlgorithmName = options.AlgorithmName;
        StateNames = stateNames;
        UseFusedKernels = options.UseFusedKernels;
        Maximize = options.Maximize;
        _groups = groups.ToArray();
        _segmentKey = SegmentKey;
        _slots = new Dictionary<Parameter, (FlatBucket, Slot)>(ReferenceEqualityComparer.Instance);

        // Buckets: per group, one per (dtype, device) in order of first appearance. Indices follow PyTorch's state_dict
        // numbering: groups in order, parameters in order within a group.
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var buckets = new List<FlatBucket>();
        int index = 0;
        try
        {
            for (int g = 0; g < _groups.Length; g++)
            {
                var byKind = new List<(ScalarType dtype, Device device, List<(Parameter, int)> members)>();
                foreach (Parameter p in _groups[g].Parameters)
                {
                    if (!seen.Add(p))
                    {
                        throw new ArgumentException($"Parameter #{index} appears more than once in the parameter groups.", nameof(groups));
                    }
                    if (!torch.is_floating_point(p.dtype))
                    {
                        throw new ArgumentException($"Parameter #{index} has type {p.dtype}; optimizers need floating-point parameters.", nameof(groups));
                    }
                    Device device = p.device;
                    int k = byKind.FindIndex(e => e.dtype == p.dtype && e.device.type == device.type && e.device.index == device.index);
                    if (k < 0)
                    {
                        byKind.Add((p.dtype, device, new List<(Parameter, int)>()));
                        k = byKind.Count - 1;
                    }
                    byKind[k].members.Add((p, index++));
                }
                foreach ((ScalarType dtype, Device device, List<(Parameter, int)> members) in byKind)
                {
                    var bucket = new FlatBucket(g, dtype, device, members, stateNames.Count);
                    buckets.Add(bucket);
                    foreach (Slot slot in bucket.Slots)
                    {
                        _slots.Add(slot.Parameter, (bucket, slot));
                    }
                }
            }
        }
        catch
        {
            foreach (FlatBucket bucket in buckets)
            {
                bucket.Dispose();
            }
            throw;
        }
        _buckets = buckets.ToArray();
    }

    /// <summary>The algorithm, e.g. "AdamW" (see <see cref="OptimizerOptions.AlgorithmName"/>).</summary>
    public string AlgorithmName { get; }

    /// <summary>The optimizer's parameter groups with their live hyperparameters (PyTorch's <c>param_groups</c>).</summary>
    public IReadOnlyList<ParameterGroup> ParameterGroups => _groups;

    /// <summary>The number of completed <see cref="Step"/> calls.</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// The learning rate of group 0. Setting it rescales every group in proportion, as a PyTorch scheduler would:
    /// group <c>i</c> gets <c>InitialLearningRate[i] * value / InitialLearningRate[0]</c> (every group gets
    /// <c>value</c> when group 0's initial rate is 0).
    /// </summary>
    public double LearningRate
    {
        get => _groups[0].LearningRate!.Value;
        set
        {
            Check.NonNegative(value, nameof(LearningRate));
            double base0 = _groups[0].InitialLearningRate!.Value;
            for (int i = 0; i < _groups.Length; i++)
            {
                _groups[i].LearningRate = i == 0 || base0 == 0 ? value : _groups[i].InitialLearningRate!.Value * (value / base0);
            }
        }
    }

    /// <summary>Names of the per-parameter state tensors, as in PyTorch's <c>state_dict()</c> (e.g. "exp_avg").</summary>
    public IReadOnlyList<string> StateNames { get; }

    /// <summary>
    /// Whether steps run libtorch's fused kernel (for every parameter type and device this optimizer holds) rather than
    /// the portable path. False when <see cref="OptimizerOptions.UseFusedKernels"/> was off or no kernel applies.
    /// </summary>
    public bool UsesFusedKernels => _buckets.All(b => CanFuse(b));

    private protected bool UseFusedKernels { get; private set; }

    private protected bool Maximize { get; }

    /// <summary>Updates every parameter that has a gradient, then advances <see cref="StepCount"/>.</summary>
    public void Step()
    {
        ThrowIfDisposed();
        using (DisposeScope scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            foreach (FlatBucket bucket in _buckets)
            {
                if (bucket.GatherGrads() == 0)
                {
                    continue;
                }
                bucket.BuildSegments(_segmentKey, _segments);
                ParameterGroup group = _groups[bucket.GroupIndex];
                if (CanFuse(bucket))
                {
                    SplitForFusedKernel(_segments, _bodies, _tails);
                    try
                    {
                        if (_bodies.Count > 0)
                        {
                            UpdateFused(bucket, group, _bodies);
                        }
                    }
                    catch (ExternalException)
                    {
                        // The kernel exists but not for this device or type (libtorch rejects it before touching
                        // any data): use the portable path from now on.
                        UseFusedKernels = false;
                        UpdatePortable(bucket, group, _bodies);
                    }
                    if (_tails.Count > 0)
                    {
                        UpdatePortable(bucket, group, _tails);
                    }
                }
                else
                {
                    UpdatePortable(bucket, group, _segments);
                }
                OnUpdated(bucket, group, _segments);
                foreach (Segment segment in _segments)
                {
                    for (int i = segment.FirstSlot; i < segment.EndSlot; i++)
                    {
                        bucket.Slots[i].Steps++;
                    }
                }
            }
        }
        StepCount++;
    }

    /// <summary>
    /// Zeroes the gradients of all parameters in one operation per buffer, keeping them allocated (PyTorch's
    /// <c>zero_grad(set_to_none=False)</c>); with <paramref name="setToNone"/>, sets them to null instead (PyTorch's default).
    /// </summary>
    /// <param name="setToNone">
    /// False (default): gradients become zero and stay views of the optimizer's buffer, the fastest loop; every parameter
    /// then has a gradient at the next step, so none is skipped. True: gradients become null, so a parameter that the
    /// next backward pass does not reach is skipped by the next step, at the cost of a copy per gradient.
    /// </param>
    public void ZeroGrad(bool setToNone = false)
    {
        ThrowIfDisposed();
        using DisposeScope scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (FlatBucket bucket in _buckets)
        {
            if (setToNone)
            {
                bucket.ClearGrads();
            }
            else
            {
                bucket.ZeroGrads();
            }
        }
    }

    /// <summary>
    /// Clips gradients by their global L2 norm, with PyTorch's <c>clip_grad_norm_</c> semantics: the norm is taken over
    /// all gradients together (accumulated in float64), and every gradient is multiplied by
    /// <c>min(1, maxNorm / (norm + 1e-6))</c>.
    /// </summary>
    /// <param name="maxNorm">The largest allowed norm (&gt;= 0; positive infinity only measures).</param>
    /// <returns>The total norm before clipping (0 when no parameter has a gradient).</returns>
    public double ClipGradNorm(double maxNorm)
    {
        ThrowIfDisposed();
        if (double.IsNaN(maxNorm) || maxNorm < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"maxNorm must be >= 0 (was {maxNorm}).");
        }
        using DisposeScope scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        double sumOfSquares = 0;
        bool any = false;
        bool allSingle = true;
        var segmentsByBucket = new List<Segment>[_buckets.Length];
        for (int b = 0; b < _buckets.Length; b++)
        {
            FlatBucket bucket = _buckets[b];
            if (bucket.GatherGrads() == 0)
            {
                continue;
            }
            any = true;
            allSingle &= bucket.DType == ScalarType.Float32;
            var segments = new List<Segment>();
            bucket.BuildSegments(static _ => 0, segments);
            segmentsByBucket[b] = segments;
            // Sum of squares in float64, piece by piece: float32 accumulation over millions of values loses digits,
            // and converting a whole buffer to float64 at once would double its memory.
            Tensor[] totals = Array.Empty<Tensor>();
            ForEachChunk(bucket, segments, workers =>
            {
                totals = Enumerable.Range(0, workers).Select(_ => torch.zeros(Array.Empty<long>(), ScalarType.Float64, bucket.Device)).ToArray();
            },
            (segmentIndex, offset, length, worker) =>
            {
                // Squares summed by ATen's (pairwise) reduction in float64; not BLAS dot, whose own threading would
                // start a thread team per worker.
                Tensor wide = bucket.Workspace(2, worker, length).copy_(bucket.Grads.narrow(0, offset, length));
                totals[worker].add_(wide.mul_(wide).sum(), Scalars.One);
            });
            foreach (Tensor total in totals)
            {
                sumOfSquares += total.item<double>();
            }
        }
        if (!any)
        {
            return 0.0;
        }
        double norm = Math.Sqrt(sumOfSquares);
        // PyTorch computes clip_coef = max_norm / (total_norm + 1e-6) on a tensor of the gradients' type, as
        // reciprocal(total_norm + 1e-6) * max_norm, then clamps it to 1: reproduce that rounding.
        double coefficient;
        if (allSingle)
        {
            float reciprocal = 1f / ((float)norm + 1e-6f);
            coefficient = Math.Min(reciprocal * (float)maxNorm, 1f);
        }
        else
        {
            coefficient = Math.Min(1.0 / (norm + 1e-6) * maxNorm, 1.0);
        }
        if (!(coefficient >= 1.0))
        {
            using Scalar c = coefficient.ToScalar();
            for (int b = 0; b < _buckets.Length; b++)
            {
                if (segmentsByBucket[b] is null)
                {
                    continue;
                }
                foreach (Segment segment in segmentsByBucket[b])
                {
                    using Tensor grads = _buckets[b].Slice(_buckets[b].Grads, segment);
                    grads.mul_(c);
                }
            }
        }
        return norm;
    }

    /// <summary>How many steps <paramref name="parameter"/> has taken part in (PyTorch's per-tensor <c>step</c>).</summary>
    /// <param name="parameter">A parameter of this optimizer.</param>
    public long GetStepCount(Parameter parameter) => Find(parameter).Slot.Steps;

    /// <summary>
    /// A view of one state tensor of a parameter (e.g. "exp_avg"), shaped like the parameter, or null when that state
    /// does not exist yet (PyTorch creates state at a tensor's first step). Dispose the returned handle; the state
    /// itself stays with the optimizer.
    /// </summary>
    /// <param name="parameter">A parameter of this optimizer.</param>
    /// <param name="name">One of <see cref="StateNames"/>.</param>
    public Tensor? GetState(Parameter parameter, string name)
    {
        ThrowIfDisposed();
        int index = IndexOfState(name);
        (FlatBucket bucket, Slot slot) = Find(parameter);
        Tensor? flat = bucket.State(index);
        if (flat is null || !SlotHasState(slot, index))
        {
            return null;
        }
        return bucket.SlotView(flat, slot);
    }

    /// <summary>
    /// Writes the optimizer's state to <paramref name="stream"/>: per-tensor state and step counts, <see cref="StepCount"/>
    /// and each group's current hyperparameters (learning rate, initial learning rate, weight decay, momentum/beta1).
    /// Parameter values are not included; save the model separately.
    /// </summary>
    /// <param name="stream">A writable stream; it is left open.</param>
    public void Save(Stream stream)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Encoding.ASCII.GetBytes(CheckpointMagic));
        writer.Write(CheckpointVersion);
        writer.Write(AlgorithmName);
        writer.Write(StepCount);
        writer.Write(_groups.Length);
        foreach (ParameterGroup group in _groups)
        {
            writer.Write(group.Parameters.Count);
            writer.Write(group.LearningRate!.Value);
            writer.Write(group.InitialLearningRate!.Value);
            writer.Write(group.WeightDecay!.Value);
            writer.Write(group.Momentum!.Value);
        }
        writer.Write(_buckets.Length);
        writer.Write(StateNames.Count);
        using DisposeScope scope = torch.NewDisposeScope();
        foreach (FlatBucket bucket in _buckets)
        {
            writer.Write((int)bucket.DType);
            writer.Write(bucket.Slots.Count);
            foreach (Slot slot in bucket.Slots)
            {
                writer.Write(slot.Index);
                writer.Write(slot.Numel);
                writer.Write(slot.Steps);
                writer.Write(slot.HasMomentumBuffer);
            }
            for (int s = 0; s < StateNames.Count; s++)
            {
                Tensor? state = bucket.State(s);
                writer.Write(state is not null);
                if (state is not null)
                {
                    TensorIO.Write(writer, state);
                }
            }
        }
    }

    /// <summary>
    /// Restores state written by <see cref="Save"/> from an optimizer of the same algorithm over parameters of the same
    /// shapes, types and grouping. Continuing from the restored state gives bit-identical results to never having stopped.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the checkpoint; it is left open.</param>
    /// <exception cref="InvalidDataException">The stream is not a checkpoint of a matching optimizer.</exception>
    public void Load(Stream stream)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        string magic = Encoding.ASCII.GetString(reader.ReadBytes(CheckpointMagic.Length));
        if (magic != CheckpointMagic)
        {
            throw new InvalidDataException("The stream does not hold an optimizer checkpoint.");
        }
        int version = reader.ReadInt32();
        if (version != CheckpointVersion)
        {
            throw new InvalidDataException($"Unsupported optimizer checkpoint version {version}.");
        }
        string algorithm = reader.ReadString();
        Expect(algorithm == AlgorithmName, $"the checkpoint is of {algorithm}, this optimizer is {AlgorithmName}");
        long stepCount = reader.ReadInt64();
        Expect(reader.ReadInt32() == _groups.Length, "the number of parameter groups differs");
        var hyper = new (double lr, double initial, double wd, double momentum)[_groups.Length];
        for (int g = 0; g < _groups.Length; g++)
        {
            Expect(reader.ReadInt32() == _groups[g].Parameters.Count, $"group {g} has a different number of parameters");
            hyper[g] = (reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
        }
        Expect(reader.ReadInt32() == _buckets.Length, "the parameters' types or devices differ");
        Expect(reader.ReadInt32() == StateNames.Count, "the state layout differs");

        // Read everything before changing anything, so a bad checkpoint leaves the optimizer as it was.
        var slotData = new (long steps, bool hasBuffer)[_buckets.Length][];
        var stateData = new Tensor?[_buckets.Length][];
        using DisposeScope scope = torch.NewDisposeScope();
        for (int b = 0; b < _buckets.Length; b++)
        {
            FlatBucket bucket = _buckets[b];
            Expect(reader.ReadInt32() == (int)bucket.DType, $"parameter types differ (buffer {b})");
            Expect(reader.ReadInt32() == bucket.Slots.Count, $"buffer {b} holds a different number of parameters");
            slotData[b] = new (long, bool)[bucket.Slots.Count];
            foreach ((Slot slot, int i) in bucket.Slots.Select((s, i) => (s, i)))
            {
                Expect(reader.ReadInt32() == slot.Index && reader.ReadInt64() == slot.Numel, $"parameter #{slot.Index} has a different size");
                slotData[b][i] = (reader.ReadInt64(), reader.ReadBoolean());
            }
            stateData[b] = new Tensor?[StateNames.Count];
            for (int s = 0; s < StateNames.Count; s++)
            {
                if (reader.ReadBoolean())
                {
                    stateData[b][s] = TensorIO.Read(reader, bucket.DType, bucket.Numel);
                }
            }
        }

        using var noGrad = torch.no_grad();
        for (int b = 0; b < _buckets.Length; b++)
        {
            FlatBucket bucket = _buckets[b];
            for (int i = 0; i < bucket.Slots.Count; i++)
            {
                bucket.Slots[i].Steps = slotData[b][i].steps;
                bucket.Slots[i].HasMomentumBuffer = slotData[b][i].hasBuffer;
            }
            for (int s = 0; s < StateNames.Count; s++)
            {
                Tensor? source = stateData[b][s];
                if (source is not null)
                {
                    bucket.EnsureState(s).copy_(source);
                }
                else
                {
                    bucket.State(s)?.zero_();
                }
            }
        }
        for (int g = 0; g < _groups.Length; g++)
        {
            _groups[g].LearningRate = hyper[g].lr;
            _groups[g].InitialLearningRate = hyper[g].initial;
            _groups[g].WeightDecay = hyper[g].wd;
            _groups[g].Momentum = hyper[g].momentum;
        }
        StepCount = stepCount;
    }

    /// <summary>Releases the optimizer's buffers. Parameters keep their values (they hold their storage themselves).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the flat buffers and state.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (disposing)
        {
            foreach (FlatBucket bucket in _buckets)
            {
                bucket.Dispose();
            }
        }
    }

    /// <summary>Whether a bucket's update can use a fused kernel.</summary>
    private protected abstract bool CanFuse(FlatBucket bucket);

    /// <summary>Updates the segments of a bucket with libtorch's fused kernel.</summary>
    private protected abstract void UpdateFused(FlatBucket bucket, ParameterGroup group, List<Segment> segments);

    /// <summary>Updates the segments of a bucket with in-place tensor operations, chunk by chunk.</summary>
    private protected abstract void UpdatePortable(FlatBucket bucket, ParameterGroup group, List<Segment> segments);

    /// <summary>
    /// Tensors are updated together only when this key is equal (default: the per-tensor step count, which the bias
    /// correction depends on).
    /// </summary>
    private protected virtual long SegmentKey(Slot slot) => slot.Steps;

    /// <summary>Whether a tensor has the given state yet (default: once it took a step).</summary>
    private protected virtual bool SlotHasState(Slot slot, int stateIndex) => slot.Steps > 0;

    /// <summary>Called after a bucket's segments were updated (by either path), before step counts advance.</summary>
    private protected virtual void OnUpdated(FlatBucket bucket, ParameterGroup group, List<Segment> segments)
    {
    }

    private static void SplitForFusedKernel(List<Segment> segments, List<Segment> bodies, List<Segment> tails)
    {
        bodies.Clear();
        tails.Clear();
        foreach (Segment segment in segments)
        {
            long body = segment.Length - segment.Length % FusedAlignment;
            if (body > 0)
            {
                bodies.Add(segment with { Length = body });
            }
            if (body < segment.Length)
            {
                tails.Add(segment with { Offset = segment.Offset + body, Length = segment.Length - body });
            }
        }
    }

    /// <summary>Work on one piece of a segment: the segment's index, the piece's offset and length, the worker number.</summary>
    private protected delegate void ChunkBody(int segmentIndex, long offset, long length, int worker);

    /// <summary>
    /// Runs <paramref name="body"/> over all pieces of <paramref name="segments"/>, on up to the intra-op thread count of
    /// workers (CPU) each with its own workspace; <paramref name="prepare"/> first learns the worker count. Each piece runs
    /// under <c>no_grad</c> in its own dispose scope.
    /// </summary>
    private protected static void ForEachChunk(FlatBucket bucket, List<Segment> segments, Action<int>? prepare, ChunkBody body)
    {
        bool cpu = bucket.Device.type == DeviceType.CPU;
        long chunk = cpu ? CpuChunkElements : DeviceChunkElements;
        var pieces = new List<(int segment, long offset, long length)>();
        for (int i = 0; i < segments.Count; i++)
        {
            for (long start = 0; start < segments[i].Length; start += chunk)
            {
                pieces.Add((i, segments[i].Offset + start, Math.Min(chunk, segments[i].Length - start)));
            }
        }
        int workers = cpu ? Math.Clamp(torch.get_num_threads(), 1, Math.Max(1, pieces.Count)) : 1;
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

    private int IndexOfState(string name)
    {
        for (int i = 0; i < StateNames.Count; i++)
        {
            if (StateNames[i] == name)
            {
                return i;
            }
        }
        throw new ArgumentException($"{AlgorithmName} has no state '{name}'; it has: {string.Join(", ", StateNames)}.", nameof(name));
    }

    private (FlatBucket Bucket, Slot Slot) Find(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (!_slots.TryGetValue(parameter, out var found))
        {
            throw new ArgumentException("The parameter does not belong to this optimizer.", nameof(parameter));
        }
        return found;
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidDataException($"The optimizer checkpoint does not match this optimizer: {what}.");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}

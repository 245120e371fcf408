using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// The parameters of one group that share a dtype and device, packed into one contiguous buffer. Each parameter's data
/// and gradient are views of the flat buffers, so an optimizer step is a handful of large operations instead of a loop
/// of small ones per tensor. State buffers (exp_avg, momentum, ...) are flat too.
/// </summary>
internal sealed class FlatBucket : IDisposable
{
    private readonly Tensor?[] _state;
    private readonly StatePlacement?[][] _placements;
    private readonly long[] _stateNumel;
    private readonly IntPtr _paramsBase;
    private readonly IntPtr _gradsBase;
    private Tensor[]? _workspace;
    private long _workspaceElements;
    private long _workspaceChunk;

    public FlatBucket(int groupIndex, ScalarType dtype, Device device, IReadOnlyList<(Parameter parameter, int index)> parameters, StateLayout layout)
    {
        GroupIndex = groupIndex;
        DType = dtype;
        Device = device;
        var slots = new Slot[parameters.Count];
        long offset = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            (Parameter p, int index) = parameters[i];
            slots[i] = new Slot(p, index, offset);
            offset += slots[i].Numel;
        }
        Slots = slots;
        Numel = offset;
        _state = new Tensor?[layout.Buffers.Count];
        _placements = new StatePlacement?[layout.Buffers.Count][];
        _stateNumel = new long[layout.Buffers.Count];
        foreach (StateBuffer buffer in layout.Buffers)
        {
            // Per-parameter state sits at the parameter's offset; shaped state (factored moments) is packed in slot order.
            var placements = new StatePlacement?[slots.Length];
            long stateOffset = 0;
            for (int i = 0; i < slots.Length; i++)
            {
                long[]? shape = buffer.ShapeOf is null ? slots[i].Shape : buffer.ShapeOf(slots[i].Shape);
                if (shape is null)
                {
                    continue;
                }
                long numel = 1;
                foreach (long d in shape)
                {
                    numel *= d;
                }
                placements[i] = new StatePlacement(buffer.ShapeOf is null ? slots[i].Offset : stateOffset, numel, shape);
                stateOffset += numel;
            }
            _placements[buffer.Index] = placements;
            _stateNumel[buffer.Index] = buffer.ShapeOf is null ? offset : stateOffset;
        }

        using var noGrad = torch.no_grad();
        // Persistent buffers must outlive any dispose scope the caller has open.
        Params = torch.empty(Numel, dtype, device).DetachFromDisposeScope();
        Grads = torch.zeros(Numel, dtype, device).DetachFromDisposeScope();
        _paramsBase = NativeStorage.BasePointer(Params);
        _gradsBase = NativeStorage.BasePointer(Grads);
        foreach (Slot slot in slots)
        {
            using Tensor target = Params.narrow(0, slot.Offset, slot.Numel);
            using (Tensor source = slot.Parameter.reshape(slot.Numel))
            {
                target.copy_(source);
            }
            using Tensor view = target.view(slot.Shape);
            slot.Parameter.set_(view);
            using Tensor? grad = slot.Parameter.grad;
            if (grad is not null)
            {
                ThrowIfSparse(slot, grad);
                AdoptGrad(slot, grad);
            }
        }
    }

    public int GroupIndex { get; }

    public ScalarType DType { get; }

    public Device Device { get; }

    public IReadOnlyList<Slot> Slots { get; }

    public long Numel { get; }

    /// <summary>All parameters' values; each parameter is a view of a slice.</summary>
    public Tensor Params { get; }

    /// <summary>All gradients; each gradient is (normally) a view of a slice.</summary>
    public Tensor Grads { get; }

    /// <summary>A flat state buffer, or null until first used.</summary>
    public Tensor? State(StateBuffer buffer) => _state[buffer.Index];

    /// <summary>The flat state buffer, created (zero-filled) on first use.</summary>
    public Tensor EnsureState(StateBuffer buffer)
    {
        return _state[buffer.Index] ??= torch.zeros(StateNumel(buffer), DType, Device).DetachFromDisposeScope();
    }

    /// <summary>The length of a flat state buffer: <see cref="Numel"/>, or less for shaped state (see <see cref="StateBuffer.ShapeOf"/>).</summary>
    public long StateNumel(StateBuffer buffer) => _stateNumel[buffer.Index];

    /// <summary>
    /// A view of one slot's state in <paramref name="flat"/> (the bucket's buffer for <paramref name="buffer"/>), in the
    /// state's shape, or null when that slot has no such state.
    /// </summary>
    public Tensor? StateView(Tensor flat, StateBuffer buffer, int slotIndex)
    {
        if (_placements[buffer.Index][slotIndex] is not StatePlacement place)
        {
            return null;
        }
        using Tensor narrow = flat.narrow(0, place.Offset, place.Numel);
        return narrow.view(place.Shape);
    }

    /// <summary>
    /// Where slot <paramref name="slotIndex"/>'s state starts in the flat buffer for <paramref name="buffer"/>, or null
    /// when that slot has no such state.
    /// </summary>
    public long? StateOffset(StateBuffer buffer, int slotIndex) => _placements[buffer.Index][slotIndex]?.Offset;

    /// <summary>
    /// Makes room for <paramref name="workers"/> chunks of <paramref name="chunk"/> elements in each <see cref="Workspace"/>.
    /// Workspace is per chunk, not per parameter, so it stays small.
    /// </summary>
    public void EnsureWorkspace(int workers, long chunk)
    {
        long needed = workers * Math.Min(chunk, Numel);
        if (_workspaceElements >= needed)
        {
            // Callers may alternate piece sizes (see ChunkExecutor's large pieces): the layout follows the latest.
            _workspaceChunk = Math.Min(chunk, Numel);
            return;
        }
        DisposeWorkspace();
        _workspace = new Tensor[3];
        _workspace[(int)Workspace.Primary] = torch.empty(needed, DType, Device).DetachFromDisposeScope();
        _workspace[(int)Workspace.Secondary] = torch.empty(needed, DType, Device).DetachFromDisposeScope();
        _workspace[(int)Workspace.Float64] = torch.empty(needed, ScalarType.Float64, Device).DetachFromDisposeScope();
        _workspaceElements = needed;
        _workspaceChunk = Math.Min(chunk, Numel);
    }

    /// <summary>A worker's slice of a workspace, of <paramref name="length"/> elements; see <see cref="EnsureWorkspace"/>.</summary>
    public Tensor Scratch(Workspace kind, int worker, long length) => _workspace![(int)kind].narrow(0, worker * _workspaceChunk, length);

    /// <summary>Views of a flat buffer for a segment (the buffer itself when the segment covers it all).</summary>
    public Tensor Slice<TRun>(Tensor flat, in Segment<TRun> segment) where TRun : struct, IEquatable<TRun> =>
        segment.Offset == 0 && segment.Length == Numel ? flat.alias() : flat.narrow(0, segment.Offset, segment.Length);

    /// <summary>A slot's slice of a flat buffer, shaped like the parameter.</summary>
    public Tensor SlotView(Tensor flat, Slot slot)
    {
        using Tensor narrow = flat.narrow(0, slot.Offset, slot.Numel);
        return narrow.view(slot.Shape);
    }

    /// <summary>
    /// Looks at each parameter's gradient for this step: records which tensors have one, and makes every gradient a view
    /// of <see cref="Grads"/>. A gradient that is not (the user set it, or <c>Module.zero_grad()</c> set it to null and
    /// backward allocated a fresh one) is copied into the flat buffer and the parameter's grad re-pointed at the view,
    /// so later backward passes accumulate in place again. Must run inside <c>no_grad</c>.
    /// </summary>
    /// <returns>The number of slots with a gradient.</returns>
    public int GatherGrads()
    {
        int count = 0;
        foreach (Slot slot in Slots)
        {
            EnsureParameterAliased(slot);
            using Tensor? grad = slot.Parameter.grad;
            slot.HasGrad = grad is not null;
            if (grad is null)
            {
                continue;
            }
            count++;
            ThrowIfSparse(slot, grad);
            if (!NativeStorage.IsViewOf(grad, _gradsBase, slot.Offset, slot.Numel))
            {
                AdoptGrad(slot, grad);
            }
        }
        return count;
    }

    /// <summary>Zeroes every gradient in one operation, keeping gradients that are null null (PyTorch's set_to_none=False).</summary>
    public void ZeroGrads()
    {
        Grads.zero_();
        foreach (Slot slot in Slots)
        {
            using Tensor? grad = slot.Parameter.grad;
            if (grad is not null)
            {
                ThrowIfSparse(slot, grad);
            }
            if (grad is not null && !NativeStorage.IsViewOf(grad, _gradsBase, slot.Offset, slot.Numel))
            {
                // Point it at the (now zero) flat slice instead of zeroing the foreign tensor: same values, and the
                // next backward accumulates into the flat buffer.
                using Tensor view = SlotView(Grads, slot);
                slot.Parameter.grad = view;
            }
        }
    }

    /// <summary>Sets every gradient to null (PyTorch's default <c>zero_grad()</c>).</summary>
    public void ClearGrads()
    {
        foreach (Slot slot in Slots)
        {
            slot.Parameter.grad = null;
        }
    }

    /// <summary>Collects the segments of this step: runs of slots with a gradient and equal <paramref name="runOf"/>.</summary>
    public void BuildSegments<TRun>(Func<Slot, TRun> runOf, List<Segment<TRun>> segments) where TRun : struct, IEquatable<TRun>
    {
        segments.Clear();
        int start = -1;
        TRun startKey = default;
        for (int i = 0; i <= Slots.Count; i++)
        {
            bool include = i < Slots.Count && Slots[i].HasGrad;
            TRun k = include ? runOf(Slots[i]) : default;
            if (start >= 0 && (!include || !k.Equals(startKey)))
            {
                long offset = Slots[start].Offset;
                long end = i < Slots.Count ? Slots[i].Offset : Numel;
                segments.Add(new Segment<TRun>(start, i, offset, end - offset, startKey));
                start = -1;
            }
            if (include && start < 0)
            {
                start = i;
                startKey = k;
            }
        }
    }

    /// <summary>
    /// Flat buffers hold dense gradients only. Checked before any storage access: libtorch aborts the process (an
    /// exception .NET cannot catch) when asked for the storage of a sparse tensor.
    /// </summary>
    private static void ThrowIfSparse(Slot slot, Tensor grad)
    {
        if (grad.is_sparse)
        {
            throw new InvalidOperationException(
                $"Parameter #{slot.Index} has a sparse gradient; put it in a parameter group with rule {nameof(GroupUpdateRule)}.{nameof(GroupUpdateRule.SparseSgd)} "
                + $"(see {nameof(ParameterGroup)}.{nameof(ParameterGroup.SparseSgd)}).");
        }
    }

    private void AdoptGrad(Slot slot, Tensor grad)
    {
        if (grad.dtype != DType || !SameDevice(grad))
        {
            throw new InvalidOperationException(
                $"The gradient of parameter #{slot.Index} is {grad.dtype} on {grad.device}, but the parameter is {DType} on {Device}.");
        }
        using Tensor target = Grads.narrow(0, slot.Offset, slot.Numel);
        using (Tensor source = grad.reshape(slot.Numel))
        {
            target.copy_(source);
        }
        using Tensor view = target.view(slot.Shape);
        slot.Parameter.grad = view;
    }

    private void EnsureParameterAliased(Slot slot)
    {
        Parameter p = slot.Parameter;
        if (NativeStorage.IsViewOf(p, _paramsBase, slot.Offset, slot.Numel))
        {
            return;
        }
        // Something gave the parameter new storage (e.g. module.to(...) or set_). Take its values back into the flat
        // buffer if it is still compatible; otherwise the optimizer cannot follow the parameter any more.
        if (p.dtype != DType || !SameDevice(p) || p.numel() != slot.Numel)
        {
            throw new InvalidOperationException(
                $"Parameter #{slot.Index} changed to {p.dtype} on {p.device} with {p.numel()} elements after the optimizer was created "
                + $"(was {DType} on {Device} with {slot.Numel}). Create the optimizer after moving or converting the model.");
        }
        using Tensor target = Params.narrow(0, slot.Offset, slot.Numel);
        using (Tensor source = p.reshape(slot.Numel))
        {
            target.copy_(source);
        }
        using Tensor view = target.view(slot.Shape);
        p.set_(view);
    }

    /// <summary>Where one slot's state lies in a flat state buffer.</summary>
    private readonly record struct StatePlacement(long Offset, long Numel, long[] Shape);

    private bool SameDevice(Tensor t) => t.device_type == Device.type && t.device_index == Device.index;

    public void Dispose()
    {
        Params.Dispose();
        Grads.Dispose();
        for (int i = 0; i < _state.Length; i++)
        {
            _state[i]?.Dispose();
            _state[i] = null;
        }
        DisposeWorkspace();
    }

    private void DisposeWorkspace()
    {
        if (_workspace is not null)
        {
            foreach (Tensor t in _workspace)
            {
                t.Dispose();
            }
        }
        _workspace = null;
        _workspaceElements = 0;
    }
}

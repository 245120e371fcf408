using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>One parameter tensor of a <see cref="FlatBucket"/>.</summary>
internal sealed class Slot
{
    public Slot(Parameter parameter, int index, long offset, long[] shape)
    {
        Parameter = parameter;
        Index = index;
        Offset = offset;
        Shape = shape;
        Numel = parameter.numel();
    }

    /// <summary>The user's parameter; its data is a view of the bucket's flat buffer.</summary>
    public Parameter Parameter { get; }

    /// <summary>Position in the optimizer's parameter order (groups in order, parameters in order): PyTorch's state index.</summary>
    public int Index { get; }

    /// <summary>Element offset in the bucket's flat buffers.</summary>
    public long Offset { get; }

    public long Numel { get; }

    public long[] Shape { get; }

    /// <summary>Steps this tensor took part in (PyTorch keeps one count per tensor: a step without a grad does not count).</summary>
    public long Steps { get; set; }

    /// <summary>For SGD: whether the momentum buffer exists (PyTorch creates it from the first gradient).</summary>
    public bool HasMomentumBuffer { get; set; }

    /// <summary>Whether the tensor has a gradient in the step being taken.</summary>
    public bool HasGrad { get; set; }
}

/// <summary>
/// A maximal run of consecutive slots that all have a gradient and the same per-tensor state (e.g. the same step count),
/// so that one kernel or one sequence of in-place operations can update the whole run.
/// </summary>
internal readonly record struct Segment(int FirstSlot, int EndSlot, long Offset, long Length, long Key);

/// <summary>
/// The parameters of one group that share a dtype and device, packed into one contiguous buffer. Each parameter's data
/// and gradient are views of the flat buffers, so an optimizer step is a handful of large operations instead of a loop
/// of small ones per tensor. State buffers (exp_avg, momentum, ...) are flat too.
/// </summary>
internal sealed class FlatBucket : IDisposable
{
    private readonly Tensor?[] _state;
    private readonly IntPtr _paramsBase;
    private readonly IntPtr _gradsBase;
    private Tensor[]? _workspace;
    private long _workspaceElements;
    private long _workspaceChunk;

    public FlatBucket(int groupIndex, ScalarType dtype, Device device, IReadOnlyList<(Parameter parameter, int index)> parameters, int stateCount)
    {
        GroupIndex = groupIndex;
        DType = dtype;
        Device = device;
        var slots = new Slot[parameters.Count];
        long offset = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            (Parameter p, int index) = parameters[i];
            slots[i] = new Slot(p, index, offset, p.shape);
            offset += slots[i].Numel;
        }
        Slots = slots;
        Numel = offset;
        _state = new Tensor?[stateCount];

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
    public Tensor? State(int index) => _state[index];

    /// <summary>The flat state buffer, created (zero-filled) on first use.</summary>
    public Tensor EnsureState(int index)
    {
        return _state[index] ??= torch.zeros(Numel, DType, Device).DetachFromDisposeScope();
    }

    /// <summary>
    /// Makes room for <paramref name="workers"/> chunks of <paramref name="chunk"/> elements in each workspace: two in the
    /// bucket's type and one in float64. Workspace is per chunk, not per parameter, so it stays small.
    /// </summary>
    public void EnsureWorkspace(int workers, long chunk)
    {
        long needed = workers * Math.Min(chunk, Numel);
        if (_workspaceElements >= needed)
        {
            return;
        }
        DisposeWorkspace();
        _workspace = new Tensor[3];
        _workspace[0] = torch.empty(needed, DType, Device).DetachFromDisposeScope();
        _workspace[1] = torch.empty(needed, DType, Device).DetachFromDisposeScope();
        _workspace[2] = torch.empty(needed, ScalarType.Float64, Device).DetachFromDisposeScope();
        _workspaceElements = needed;
        _workspaceChunk = Math.Min(chunk, Numel);
    }

    /// <summary>
    /// A worker's slice of workspace <paramref name="kind"/> (0 and 1: the bucket's type; 2: float64), of
    /// <paramref name="length"/> elements; see <see cref="EnsureWorkspace"/>.
    /// </summary>
    public Tensor Workspace(int kind, int worker, long length) => _workspace![kind].narrow(0, worker * _workspaceChunk, length);

    /// <summary>Views of a flat buffer for a segment (the buffer itself when the segment covers it all).</summary>
    public Tensor Slice(Tensor flat, in Segment segment) =>
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

    /// <summary>Collects the segments of this step: runs of slots with a gradient and equal <paramref name="key"/>.</summary>
    public void BuildSegments(Func<Slot, long> key, List<Segment> segments)
    {
        segments.Clear();
        int start = -1;
        long startKey = 0;
        for (int i = 0; i <= Slots.Count; i++)
        {
            bool include = i < Slots.Count && Slots[i].HasGrad;
            long k = include ? key(Slots[i]) : 0;
            if (start >= 0 && (!include || k != startKey))
            {
                long offset = Slots[start].Offset;
                long end = i < Slots.Count ? Slots[i].Offset : Numel;
                segments.Add(new Segment(start, i, offset, end - offset, startKey));
                start = -1;
            }
            if (include && start < 0)
            {
                start = i;
                startKey = k;
            }
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

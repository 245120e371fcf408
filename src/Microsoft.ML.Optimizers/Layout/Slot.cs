using TorchSharp.Modules;

namespace Microsoft.ML.Optimizers;

/// <summary>One parameter tensor of a <see cref="FlatBucket"/>, with the per-tensor bookkeeping PyTorch keeps in its state.</summary>
internal sealed class Slot
{
    public Slot(Parameter parameter, int index, long offset)
    {
        Parameter = parameter;
        Index = index;
        Offset = offset;
        Shape = parameter.shape;
        Numel = parameter.numel();
    }

    /// <summary>The user's parameter; its data is a view of the bucket's flat buffer.</summary>
    public Parameter Parameter { get; }

    /// <summary>Position in the optimizer's parameter order (groups in order, parameters in order): PyTorch's state index.</summary>
    public int Index { get; }

    /// <summary>Element offset in the bucket's flat buffers (0 for sparse-rule parameters, which have no bucket).</summary>
    public long Offset { get; }

    public long Numel { get; }

    public long[] Shape { get; }

    /// <summary>Steps this tensor took part in (PyTorch keeps one count per tensor: a step without a grad does not count).</summary>
    public long Steps { get; set; }

    /// <summary>
    /// Whether the tensor's optimizer state exists. PyTorch creates it at the tensor's first step (SGD only when it has
    /// momentum), so until then <see cref="Optimizer.GetState"/> reports none and the first update initializes it.
    /// </summary>
    public bool HasState { get; set; }

    /// <summary>Whether the tensor has a gradient in the step being taken.</summary>
    public bool HasGrad { get; set; }
}

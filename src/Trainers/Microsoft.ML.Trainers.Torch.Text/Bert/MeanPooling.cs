using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Mean of hidden states over the real tokens of each row, as sentence-transformers' mean pooling.</summary>
internal static class MeanPooling
{
    // Held for the process (a temporary Scalar can be freed by the GC during the native call); sentence-transformers' floor.
    private static readonly Scalar MinTokenCount = 1e-9.ToScalar();

    /// <summary>sum(hidden · mask) / max(sum(mask), 1e-9) over the length axis: batch × length × hidden to batch × hidden.</summary>
    public static Tensor Pool(Tensor hidden, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        Tensor mask = attentionMask.unsqueeze(-1).to_type(hidden.dtype);
        Tensor sum = hidden.mul(mask).sum(1);
        Tensor count = mask.sum(1).clamp_min(MinTokenCount);
        return sum.div(count).MoveToOuterDisposeScope();
    }
}

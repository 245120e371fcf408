using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Turns a text (or pair) into a model's per-row input, and rows into batched input tensors. Training reads the
/// data once through <see cref="Encode"/>; scoring encodes each batch the same way, so both see identical input.
/// </summary>
/// <typeparam name="TRow">The encoded form of one row (token ids, or hashed n-gram buckets).</typeparam>
internal interface ITextEncoder<TRow>
{
    /// <summary>Encodes one row, truncating to the model's maximum length.</summary>
    TRow Encode(string text, string? pair);

    /// <summary>The model's input tensors (CPU) for <paramref name="rows"/>, in order.</summary>
    IReadOnlyList<Tensor> Collate(IReadOnlyList<TRow> rows);
}

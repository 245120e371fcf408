using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>WordPiece encoding truncated to the maximum length (head, or head+tail); batches are padded to their longest row.</summary>
internal sealed class BertTextEncoder : ITextEncoder<BertEncoding>
{
    public BertTextEncoder(BertTextTokenizer tokenizer, int maxLength, int tailTokens = 0)
    {
        Tokenizer = tokenizer;
        MaxLength = maxLength;
        TailTokens = tailTokens;
    }

    public BertTextTokenizer Tokenizer { get; }

    /// <summary>The most tokens per row, special tokens included.</summary>
    public int MaxLength { get; }

    /// <summary>Word pieces a truncated single text keeps from its end (<see cref="BertTextModel.TailTokens"/>).</summary>
    public int TailTokens { get; }

    public BertEncoding Encode(string text, string? pair) => Tokenizer.Encode(text, pair, MaxLength, TailTokens);

    /// <summary>Input ids, token type ids and attention mask, padded to the longest row of the batch.</summary>
    public IReadOnlyList<Tensor> Collate(IReadOnlyList<BertEncoding> rows)
    {
        (Tensor ids, Tensor types, Tensor mask) = Tokenizer.Pad(rows).ToTensors();
        return new[] { ids, types, mask };
    }
}

using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// WordPiece encoding of a row as one sequence truncated to the maximum length (head, or head+tail), or, with
/// <see cref="Windows"/> above 1, as up to that many consecutive windows; batches are padded to their longest window.
/// </summary>
internal sealed class BertTextEncoder : ITextEncoder<IReadOnlyList<BertEncoding>>
{
    public BertTextEncoder(BertTextTokenizer tokenizer, int maxLength, int tailTokens = 0, int windows = 1)
    {
        Tokenizer = tokenizer;
        MaxLength = maxLength;
        TailTokens = tailTokens;
        Windows = windows;
    }

    public BertTextTokenizer Tokenizer { get; }

    /// <summary>The most tokens per row (per window), special tokens included.</summary>
    public int MaxLength { get; }

    /// <summary>Word pieces a truncated single text keeps from its end (<see cref="BertTextModel.TailTokens"/>).</summary>
    public int TailTokens { get; }

    /// <summary>The most windows a long single text is read as (<see cref="BertTextModel.Windows"/>); 1 truncates.</summary>
    public int Windows { get; }

    public IReadOnlyList<BertEncoding> Encode(string text, string? pair) => Windows > 1
        ? Tokenizer.EncodeWindows(text, MaxLength, Windows)
        : new[] { Tokenizer.Encode(text, pair, MaxLength, TailTokens) };

    /// <summary>
    /// Input ids, token type ids and attention mask of every window, padded to the longest; when a row has several
    /// windows, a fourth tensor gives each window's row (<see cref="BertTextClassificationModel.Forward"/> averages them).
    /// </summary>
    public IReadOnlyList<Tensor> Collate(IReadOnlyList<IReadOnlyList<BertEncoding>> rows)
    {
        var windows = new List<BertEncoding>(rows.Count);
        foreach (IReadOnlyList<BertEncoding> row in rows)
        {
            windows.AddRange(row);
        }
        (Tensor ids, Tensor types, Tensor mask) = Tokenizer.Pad(windows).ToTensors();
        if (windows.Count == rows.Count)
        {
            return new[] { ids, types, mask };
        }
        var owners = new long[windows.Count];
        for (int row = 0, at = 0; row < rows.Count; row++)
        {
            for (int w = 0; w < rows[row].Count; w++)
            {
                owners[at++] = row;
            }
        }
        return new[] { ids, types, mask, tensor(owners) };
    }
}

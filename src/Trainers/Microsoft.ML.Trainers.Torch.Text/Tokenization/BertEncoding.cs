using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// The model inputs for one text or text pair, as Hugging Face returns them:
/// <c>[CLS] a [SEP]</c> or <c>[CLS] a [SEP] b [SEP]</c>, unpadded.
/// </summary>
public sealed class BertEncoding
{
    /// <summary>Creates an encoding; all three lists have the same length.</summary>
    public BertEncoding(IReadOnlyList<int> inputIds, IReadOnlyList<int> tokenTypeIds)
    {
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        var mask = new int[inputIds.Count];
        System.Array.Fill(mask, 1);
        AttentionMask = mask;
    }

    /// <summary>Vocabulary ids, special tokens included.</summary>
    public IReadOnlyList<int> InputIds { get; }

    /// <summary>Segment ids: 0 for the first text and its special tokens, 1 for the second text and its final separator.</summary>
    public IReadOnlyList<int> TokenTypeIds { get; }

    /// <summary>1 for every position (an unpadded encoding has no padding).</summary>
    public IReadOnlyList<int> AttentionMask { get; }

    /// <summary>The number of tokens.</summary>
    public int Length => InputIds.Count;
}

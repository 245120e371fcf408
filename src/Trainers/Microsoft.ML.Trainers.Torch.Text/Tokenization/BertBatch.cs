using System;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Encodings padded to a common length: row-major <c>batch × length</c> arrays of
/// <c>input_ids</c>, <c>token_type_ids</c> and <c>attention_mask</c>.
/// </summary>
public sealed class BertBatch
{
    /// <summary>Creates a batch from row-major arrays of <paramref name="batchSize"/> × <paramref name="sequenceLength"/>.</summary>
    public BertBatch(int batchSize, int sequenceLength, long[] inputIds, long[] tokenTypeIds, long[] attentionMask)
    {
        long size = (long)batchSize * sequenceLength;
        if (inputIds.Length != size || tokenTypeIds.Length != size || attentionMask.Length != size)
        {
            throw new ArgumentException($"Batch arrays must hold {batchSize}×{sequenceLength} values.");
        }
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
    }

    /// <summary>The number of rows.</summary>
    public int BatchSize { get; }

    /// <summary>The padded length of every row.</summary>
    public int SequenceLength { get; }

    /// <summary>Token ids; padding positions hold the padding token id.</summary>
    public long[] InputIds { get; }

    /// <summary>Segment ids; 0 at padding positions.</summary>
    public long[] TokenTypeIds { get; }

    /// <summary>1 for real tokens, 0 for padding.</summary>
    public long[] AttentionMask { get; }

    /// <summary>
    /// The three arrays as int64 tensors of shape <c>batch × length</c> on <paramref name="device"/>
    /// (CPU when null), in the order input ids, token type ids, attention mask. The caller owns them.
    /// </summary>
    public (Tensor InputIds, Tensor TokenTypeIds, Tensor AttentionMask) ToTensors(Device? device = null)
    {
        long[] shape = { BatchSize, SequenceLength };
        Tensor ids = tensor(InputIds, shape, ScalarType.Int64, device);
        Tensor types = tensor(TokenTypeIds, shape, ScalarType.Int64, device);
        Tensor mask = tensor(AttentionMask, shape, ScalarType.Int64, device);
        return (ids, types, mask);
    }
}

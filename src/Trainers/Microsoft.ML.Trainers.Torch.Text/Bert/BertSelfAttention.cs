using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Hugging Face's <c>BertSelfAttention</c>: <c>query</c>, <c>key</c>, <c>value</c> projections and
/// multi-head scaled dot-product attention with an additive padding mask.
/// </summary>
/// <remarks>
/// Written out rather than using <c>nn.MultiheadAttention</c>, whose packed <c>in_proj_weight</c>
/// does not match Hugging Face's parameter names and which is sequence-first.
/// </remarks>
internal sealed class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear _query;
    private readonly Linear _key;
    private readonly Linear _value;
    private readonly int _heads;
    private readonly int _headSize;
    private readonly double _dropout;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        _heads = config.NumAttentionHeads;
        _headSize = config.HiddenSize / config.NumAttentionHeads;
        _dropout = config.AttentionProbsDropoutProb;
        _query = nn.Linear(config.HiddenSize, config.HiddenSize);
        _key = nn.Linear(config.HiddenSize, config.HiddenSize);
        _value = nn.Linear(config.HiddenSize, config.HiddenSize);
        register_module("query", _query);
        register_module("key", _key);
        register_module("value", _value);
    }

    /// <summary>
    /// Attends over <paramref name="hidden"/> (batch × length × hidden); <paramref name="additiveMask"/>
    /// (batch × 1 × 1 × length) is 0 for real tokens and a large negative number for padding.
    /// </summary>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Heads(Linear projection) => projection.forward(hidden).view(batch, length, _heads, _headSize).transpose(1, 2);
        Tensor context = training && _dropout > 0
            ? AttendWithDropout(Heads(_query), Heads(_key), Heads(_value), additiveMask)
            : nn.functional.scaled_dot_product_attention(Heads(_query), Heads(_key), Heads(_value), additiveMask);
        return context.transpose(1, 2).reshape(batch, length, _heads * _headSize).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// softmax(q·kᵀ/√d + mask) with dropout, then ·v: what scaled_dot_product_attention computes, written out because its
    /// dropout draws from libtorch's process-wide generator and this one from the fit's (see GeneratorDropout).
    /// </summary>
    private Tensor AttendWithDropout(Tensor query, Tensor key, Tensor value, Tensor additiveMask)
    {
        using Scalar scale = (1.0 / Math.Sqrt(_headSize)).ToScalar();
        Tensor scores = query.matmul(key.transpose(-2, -1)).mul_(scale).add_(additiveMask, TorchScalars.One);
        Tensor probabilities = TrainingGenerator.Dropout(scores.softmax(-1), _dropout, training: true);
        return probabilities.matmul(value);
    }
}

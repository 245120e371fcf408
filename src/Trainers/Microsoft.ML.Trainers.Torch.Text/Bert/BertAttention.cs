using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Hugging Face's <c>BertAttention</c>: <c>self</c> attention followed by its <c>output</c> block.</summary>
internal sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertSelfAttention _self;
    private readonly BertSelfOutput _output;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        _self = new BertSelfAttention(config);
        _output = new BertSelfOutput(config.HiddenSize, config);
        register_module("self", _self);
        register_module("output", _output);
    }

    /// <summary>Self-attention over <paramref name="hidden"/> with the residual block.</summary>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        return _output.forward(_self.forward(hidden, additiveMask), hidden).MoveToOuterDisposeScope();
    }
}

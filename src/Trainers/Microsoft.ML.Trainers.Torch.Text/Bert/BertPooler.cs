using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Hugging Face's <c>BertPooler</c>: tanh(<c>dense</c>(final hidden state of the first token)).</summary>
internal sealed class BertPooler : nn.Module<Tensor, Tensor>
{
    private readonly Linear _dense;

    public BertPooler(BertConfig config) : base(nameof(BertPooler))
    {
        _dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        register_module("dense", _dense);
    }

    /// <summary>Pools <paramref name="lastHidden"/> (batch × length × hidden) to batch × hidden.</summary>
    public override Tensor forward(Tensor lastHidden)
    {
        using var scope = NewDisposeScope();
        return _dense.forward(lastHidden.select(1, 0)).tanh().MoveToOuterDisposeScope();
    }
}

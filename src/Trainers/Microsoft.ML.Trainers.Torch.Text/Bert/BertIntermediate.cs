using System;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Hugging Face's <c>BertIntermediate</c>: <c>dense</c> to the intermediate width, then the activation.</summary>
internal sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear _dense;
    private readonly Func<Tensor, Tensor> _activation;

    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        _dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _activation = BertActivation.Get(config.HiddenAct);
        register_module("dense", _dense);
    }

    /// <summary>activation(dense(<paramref name="hidden"/>)).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return _activation(_dense.forward(hidden)).MoveToOuterDisposeScope();
    }
}

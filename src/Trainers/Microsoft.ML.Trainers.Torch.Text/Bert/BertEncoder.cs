using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Hugging Face's <c>BertEncoder</c>: the stack of layers, named <c>layer.0</c>, <c>layer.1</c>, ….</summary>
internal sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> _layers;

    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        _layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        register_module("layer", _layers);
    }

    /// <summary>Runs every layer in turn.</summary>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        Tensor h = hidden;
        foreach (BertLayer layer in _layers)
        {
            h = layer.forward(h, additiveMask);
        }
        return h.MoveToOuterDisposeScope();
    }
}

using Microsoft.ML.Trainers.Torch.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Hugging Face's <c>BertSelfOutput</c> (and, with the intermediate width as input, <c>BertOutput</c>):
/// <c>dense</c> projection, dropout, residual add and <c>LayerNorm</c>.
/// </summary>
internal sealed class BertSelfOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear _dense;
    private readonly LayerNorm _layerNorm;
    private readonly GeneratorDropout _dropout;

    /// <param name="inputSize">Width of the sub-layer output being projected (hidden or intermediate size).</param>
    /// <param name="config">The model configuration.</param>
    public BertSelfOutput(int inputSize, BertConfig config) : base(nameof(BertSelfOutput))
    {
        _dense = nn.Linear(inputSize, config.HiddenSize);
        _layerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _dropout = new GeneratorDropout(config.HiddenDropoutProb);
        register_module("dense", _dense);
        register_module("LayerNorm", _layerNorm);
        register_module("dropout", _dropout);
    }

    /// <summary>LayerNorm(dropout(dense(<paramref name="subLayerOutput"/>)) + <paramref name="residual"/>).</summary>
    public override Tensor forward(Tensor subLayerOutput, Tensor residual)
    {
        using var scope = NewDisposeScope();
        Tensor projected = _dropout.forward(_dense.forward(subLayerOutput));
        return _layerNorm.forward(projected.add(residual, TorchScalars.One)).MoveToOuterDisposeScope();
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Modules;

/// <summary>
/// <c>nn.Dropout</c> whose mask comes from the training fit's own generator (<see cref="TrainingGenerator"/>) rather than
/// libtorch's process-wide one, so concurrent fits with the same seed train the same models as sequential ones. No
/// parameters or buffers: state dictionaries are unchanged.
/// </summary>
internal sealed class GeneratorDropout : nn.Module<Tensor, Tensor>
{
    private readonly double _p;

    /// <param name="p">The probability of zeroing an element, in [0, 1).</param>
    public GeneratorDropout(double p) : base("Dropout")
    {
        _p = p;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => TrainingGenerator.Dropout(input, _p, training);
}

using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>One fit of a fastText-style classifier: the shape copied at the start of the fit, its featurizer, and the embedding table's SGD rate.</summary>
internal sealed class FastTextClassificationFit : TextClassificationFit<int[]>
{
    private readonly FastTextOptions _shape;
    private readonly double _sparseLearningRate;

    /// <param name="options">The trainer's options (columns, label).</param>
    /// <param name="shape">The model shape, owned by this fit.</param>
    /// <param name="sparseLearningRate">The embedding table's per-step SGD rate.</param>
    public FastTextClassificationFit(TextClassificationTrainerOptions options, FastTextOptions shape, double sparseLearningRate)
        : base(options, new FastTextEncoder(new FastTextFeaturizer(shape)), nameof(FastText))
    {
        _shape = shape;
        _sparseLearningRate = sparseLearningRate;
    }

    public override double SparseLearningRate => _sparseLearningRate;

    protected override TorchClassificationModel CreateTextModel(LabelKeyInfo labels, IChannel channel)
        => new FastTextClassificationModel(_shape, labels.ClassCount, Columns);
}

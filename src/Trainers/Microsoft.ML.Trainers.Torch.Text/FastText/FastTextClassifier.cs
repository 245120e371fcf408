using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// A fastText-style text classifier: the mean of hashed n-gram embeddings (<c>embedding</c>, an
/// EmbeddingBag), an optional ReLU layer (<c>hidden</c>), and a linear head (<c>classifier</c>).
/// Trains from scratch in seconds on a CPU.
/// </summary>
public sealed class FastTextClassifier : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly EmbeddingBag _embedding;
    private readonly Linear? _hidden;
    private readonly GeneratorDropout _dropout;
    private readonly Linear _classifier;

    /// <summary>Builds the model for <paramref name="numClasses"/> classes and initialises it as fastText does.</summary>
    /// <param name="options">The model shape (validated).</param>
    /// <param name="numClasses">The number of classes (at least 2).</param>
    /// <param name="generator">Random source for the initial weights; null uses TorchSharp's global generator.</param>
    public FastTextClassifier(FastTextOptions options, int numClasses, Generator? generator = null) : base(nameof(FastTextClassifier))
    {
        options.Validate();
        if (numClasses < 2)
        {
            throw new System.ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A classifier needs at least 2 classes.");
        }
        Options = options;
        NumClasses = numClasses;
        _embedding = nn.EmbeddingBag(options.Buckets, options.EmbeddingDim, mode: EmbeddingBagMode.Mean, sparse: options.SparseGradients);
        _dropout = new GeneratorDropout(options.Dropout);
        int features = options.EmbeddingDim;
        register_module("embedding", _embedding);
        if (options.HiddenSize > 0)
        {
            _hidden = nn.Linear(options.EmbeddingDim, options.HiddenSize);
            features = options.HiddenSize;
            register_module("hidden", _hidden);
        }
        register_module("dropout", _dropout);
        _classifier = nn.Linear(features, numClasses);
        register_module("classifier", _classifier);
        InitializeWeights(generator);
    }

    /// <summary>The model shape.</summary>
    public FastTextOptions Options { get; }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>
    /// The embedding table (<c>embedding.weight</c>, buckets × dim). Its gradient is sparse when
    /// <see cref="FastTextOptions.SparseGradients"/> is set: give it to a sparse-capable optimizer.
    /// </summary>
    public Parameter EmbeddingWeight => _embedding.weight!;

    /// <summary>Every parameter except <see cref="EmbeddingWeight"/>: the hidden layer and the head, with dense gradients.</summary>
    public IEnumerable<Parameter> DenseParameters() =>
        named_parameters().Where(p => p.name != EmbeddingWeightName).Select(p => p.parameter);

    // TorchSharp hands out a new Parameter wrapper per access, so parameters are told apart by name.
    internal const string EmbeddingWeightName = "embedding.weight";

    /// <summary>
    /// Logits (batch × classes) for bags of bucket ids: <paramref name="indices"/> holds every row's ids
    /// concatenated, <paramref name="offsets"/> where each row starts (see <see cref="FastTextFeaturizer.Batch"/>).
    /// </summary>
    public override Tensor forward(Tensor indices, Tensor offsets)
    {
        using var scope = NewDisposeScope();
        Tensor x = _dropout.forward(_embedding.forward(indices, offsets, null));
        if (_hidden is not null)
        {
            x = _dropout.forward(nn.functional.relu(_hidden.forward(x)));
        }
        return _classifier.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// fastText's initialisation: embeddings uniform in ±1/dim, head weights zero (every class starts
    /// equally likely); a hidden layer keeps TorchSharp's default initialisation.
    /// </summary>
    public void InitializeWeights(Generator? generator = null)
    {
        using var noGrad = no_grad();
        double bound = 1.0 / Options.EmbeddingDim;
        nn.init.uniform_(_embedding.weight!, -bound, bound, generator);
        _classifier.weight!.zero_();
        _classifier.bias!.zero_();
    }
}

using System.Linq;
using Microsoft.ML.Trainers.Torch.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Hugging Face's <c>BertForSequenceClassification</c> in TorchSharp: <c>bert</c> (a
/// <see cref="BertModel"/>), dropout, and <c>classifier</c> (a linear layer on the pooled states, pooled as
/// <see cref="BertConfig.Pooling"/> says: the pooled first token by default).
/// Parameter names equal Hugging Face's, e.g. <c>bert.encoder.layer.0.attention.self.query.weight</c>.
/// </summary>
public sealed class BertForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly BertModel _bert;
    private readonly GeneratorDropout _dropout;
    private readonly Linear _classifier;

    /// <summary>Builds the model for <paramref name="config"/> (head size <see cref="BertConfig.NumLabels"/>) with TorchSharp's default initialisation; call <see cref="InitializeWeights"/> for Hugging Face's.</summary>
    public BertForSequenceClassification(BertConfig config) : base(nameof(BertForSequenceClassification))
    {
        Config = config;
        _bert = new BertModel(config);
        _dropout = new GeneratorDropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        _classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        register_module("bert", _bert);
        register_module("dropout", _dropout);
        register_module("classifier", _classifier);
    }

    /// <summary>The architecture.</summary>
    public BertConfig Config { get; }

    /// <summary>The encoder (parameters under <c>bert.</c>).</summary>
    public BertModel Bert => _bert;

    /// <summary>The classification layer (parameters <c>classifier.weight</c>, <c>classifier.bias</c>).</summary>
    public Linear Classifier => _classifier;

    /// <summary>Whether <see cref="FreezeEncoder"/> was called.</summary>
    public bool EncoderFrozen { get; private set; }

    /// <summary>
    /// Logits (batch × labels) for int64 batch × length <paramref name="inputIds"/>,
    /// <paramref name="tokenTypeIds"/> and <paramref name="attentionMask"/> (1 = real token).
    /// </summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        Forward(inputIds, tokenTypeIds, attentionMask).Logits;

    /// <summary>Like <see cref="forward"/>, also returning the final hidden states (batch × length × hidden).</summary>
    public (Tensor Logits, Tensor LastHiddenState) Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        Tensor last, pooled;
        if (Config.Pooling == BertPooling.Pooler)
        {
            (last, pooled) = _bert.forward(inputIds, tokenTypeIds, attentionMask);
        }
        else
        {
            last = _bert.LastHiddenState(inputIds, tokenTypeIds, attentionMask);
            pooled = Config.Pooling == BertPooling.Cls ? last.select(1, 0) : MeanPooling.Pool(last, attentionMask);
        }
        Tensor logits = _classifier.forward(_dropout.forward(pooled));
        return (logits.MoveToOuterDisposeScope(), last.MoveToOuterDisposeScope());
    }

    /// <summary>Hugging Face's initialisation of every parameter (see <see cref="BertModel.InitializeWeights(Generator?)"/>).</summary>
    public void InitializeWeights(Generator? generator = null)
    {
        _bert.InitializeWeights(generator);
        InitializeHead(includePooler: false, generator);
    }

    /// <summary>Re-initialises the classifier (and the pooler when <paramref name="includePooler"/>) as Hugging Face does for weights a checkpoint lacks.</summary>
    public void InitializeHead(bool includePooler, Generator? generator = null)
    {
        BertModel.InitializeModuleWeights(_classifier, Config.InitializerRange, generator);
        if (includePooler)
        {
            BertModel.InitializeModuleWeights(_bert.Pooler, Config.InitializerRange, generator);
        }
    }

    /// <summary>
    /// Stops training the embeddings and transformer layers (<c>requires_grad = false</c>); the pooler and
    /// classifier stay trainable, so only the head adapts to the task.
    /// </summary>
    public void FreezeEncoder()
    {
        foreach (Parameter p in _bert.Embeddings.parameters().Concat(_bert.Encoder.parameters()))
        {
            p.requires_grad = false;
        }
        EncoderFrozen = true;
    }
}

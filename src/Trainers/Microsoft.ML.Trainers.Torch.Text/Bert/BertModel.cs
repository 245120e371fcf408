using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Hugging Face's <c>BertModel</c> in TorchSharp: <c>embeddings</c>, <c>encoder</c> and <c>pooler</c>,
/// with the same parameter names, so a Hugging Face <c>state_dict</c> loads without renaming.
/// </summary>
public sealed class BertModel : nn.Module<Tensor, Tensor, Tensor, (Tensor LastHiddenState, Tensor PooledOutput)>
{
    private readonly BertEmbeddings _embeddings;
    private readonly BertEncoder _encoder;
    private readonly BertPooler _pooler;

    /// <summary>Builds the encoder described by <paramref name="config"/> with TorchSharp's default initialisation.</summary>
    public BertModel(BertConfig config) : base(nameof(BertModel))
    {
        config.Validate();
        Config = config;
        _embeddings = new BertEmbeddings(config);
        _encoder = new BertEncoder(config);
        _pooler = new BertPooler(config);
        register_module("embeddings", _embeddings);
        register_module("encoder", _encoder);
        register_module("pooler", _pooler);
    }

    /// <summary>The architecture.</summary>
    public BertConfig Config { get; }

    /// <summary>The embedding block (parameters under <c>embeddings.</c>).</summary>
    public nn.Module Embeddings => _embeddings;

    /// <summary>The transformer layers (parameters under <c>encoder.</c>).</summary>
    public nn.Module Encoder => _encoder;

    /// <summary>The pooler (parameters under <c>pooler.</c>).</summary>
    public nn.Module Pooler => _pooler;

    /// <summary>
    /// Encodes a batch. <paramref name="inputIds"/>, <paramref name="tokenTypeIds"/> and
    /// <paramref name="attentionMask"/> are int64 batch × length; 1 in the mask marks a real token.
    /// Returns the final hidden states (batch × length × hidden) and the pooled first token (batch × hidden).
    /// </summary>
    public override (Tensor LastHiddenState, Tensor PooledOutput) forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        Tensor embedded = _embeddings.forward(inputIds, tokenTypeIds);
        Tensor additiveMask = AdditiveMask(attentionMask, embedded.dtype);
        Tensor last = _encoder.forward(embedded, additiveMask);
        Tensor pooled = _pooler.forward(last);
        return (last.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }

    /// <summary>The final hidden states (batch × length × hidden) alone, without running the pooler.</summary>
    public Tensor LastHiddenState(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        Tensor embedded = _embeddings.forward(inputIds, tokenTypeIds);
        Tensor additiveMask = AdditiveMask(attentionMask, embedded.dtype);
        return _encoder.forward(embedded, additiveMask).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Hugging Face's extended attention mask: batch × 1 × 1 × length, 0 where the mask is 1 and the
    /// most negative value of <paramref name="dtype"/> where it is 0, added to the attention scores.
    /// </summary>
    internal static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        double min = dtype switch
        {
            ScalarType.Float64 => double.MinValue,
            ScalarType.Float16 => -65504.0,
            ScalarType.BFloat16 => -3.3895313892515355e38,
            _ => float.MinValue,
        };
        using var scope = NewDisposeScope();
        using Scalar minScalar = min.ToScalar(); // kept alive through the native call (see TorchScalars)
        Tensor inverted = ones_like(attentionMask, dtype) - attentionMask.to(dtype);
        return inverted.mul(minScalar).unsqueeze(1).unsqueeze(2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Hugging Face's <c>_init_weights</c> for every parameter: linear and embedding weights
    /// ~ N(0, <c>initializer_range</c>), biases 0, the padding embedding row 0, LayerNorm 1 and 0.
    /// </summary>
    public void InitializeWeights(Generator? generator = null)
    {
        InitializeModuleWeights(this, Config.InitializerRange, generator);
        using var noGrad = no_grad();
        _embeddings.WordEmbeddings.weight![Config.PadTokenId].zero_();
    }

    /// <summary>Applies Hugging Face's BERT initialisation to every linear, embedding and LayerNorm inside <paramref name="module"/>.</summary>
    internal static void InitializeModuleWeights(nn.Module module, double std, Generator? generator)
    {
        using var noGrad = no_grad();
        // TorchSharp's named_modules() lists descendants only, so the module itself goes first.
        var modules = new List<nn.Module> { module };
        modules.AddRange(module.named_modules().Select(m => m.module).Where(m => !ReferenceEquals(m, module)));
        foreach (nn.Module m in modules)
        {
            switch (m)
            {
                case Linear linear:
                    nn.init.normal_(linear.weight!, 0, std, generator);
                    linear.bias?.zero_();
                    break;
                case Embedding embedding:
                    nn.init.normal_(embedding.weight!, 0, std, generator);
                    break;
                case LayerNorm norm:
                    norm.weight?.fill_(TorchScalars.One);
                    norm.bias?.zero_();
                    break;
            }
        }
    }
}

using System.IO;
using Microsoft.ML.Trainers.Torch.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Hugging Face's <c>BertEmbeddings</c>: word + token type + absolute position embeddings, then
/// LayerNorm and dropout. Parameter names: <c>word_embeddings</c>, <c>position_embeddings</c>,
/// <c>token_type_embeddings</c>, <c>LayerNorm</c>.
/// </summary>
internal sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding _wordEmbeddings;
    private readonly Embedding _positionEmbeddings;
    private readonly Embedding _tokenTypeEmbeddings;
    private readonly LayerNorm _layerNorm;
    private readonly GeneratorDropout _dropout;
    private readonly int _maxPositions;
    private readonly long[] _positionIds;

    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        // padding_idx as in Hugging Face: the padding row receives no gradient.
        _wordEmbeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        _positionEmbeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        _tokenTypeEmbeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        _layerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _dropout = new GeneratorDropout(config.HiddenDropoutProb);
        _maxPositions = config.MaxPositionEmbeddings;
        // Position ids come from this array rather than arange(length), whose number-to-Scalar conversions make
        // temporaries the garbage collector may free mid-call (see TorchScalars).
        _positionIds = new long[_maxPositions];
        for (int i = 0; i < _maxPositions; i++)
        {
            _positionIds[i] = i;
        }
        register_module("word_embeddings", _wordEmbeddings);
        register_module("position_embeddings", _positionEmbeddings);
        register_module("token_type_embeddings", _tokenTypeEmbeddings);
        register_module("LayerNorm", _layerNorm);
        register_module("dropout", _dropout);
    }

    /// <summary>The word embedding table (vocabulary × hidden).</summary>
    public Embedding WordEmbeddings => _wordEmbeddings;

    /// <summary>Embeds <paramref name="inputIds"/> (batch × length) with segment ids <paramref name="tokenTypeIds"/>.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        long length = inputIds.shape[1];
        if (length > _maxPositions)
        {
            throw new InvalidDataException(
                $"Sequence length {length} exceeds max_position_embeddings {_maxPositions}; truncate the input to at most {_maxPositions} tokens.");
        }
        using var scope = NewDisposeScope();
        Tensor positions = tensor(_positionIds[..(int)length], device: inputIds.device).unsqueeze(0);
        // Same summation order as Hugging Face: (words + token types) + positions. The explicit alpha avoids the
        // temporary Scalar of TorchSharp's Tensor + Tensor (see TorchScalars).
        Tensor embeddings = _wordEmbeddings.forward(inputIds).add(_tokenTypeEmbeddings.forward(tokenTypeIds), TorchScalars.One);
        embeddings = embeddings.add(_positionEmbeddings.forward(positions), TorchScalars.One);
        return _dropout.forward(_layerNorm.forward(embeddings)).MoveToOuterDisposeScope();
    }
}

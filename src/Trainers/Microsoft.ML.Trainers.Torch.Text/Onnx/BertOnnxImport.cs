using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>What <see cref="BertOnnxImporter"/> read from an ONNX encoder, before its weights are copied into a model.</summary>
/// <param name="Config">The inferred (and overridden) configuration.</param>
/// <param name="Tokenizer">The tokenizer from the files beside the model.</param>
/// <param name="Graph">The encoder's graph, to read the weights from.</param>
/// <param name="HasPooler">Whether the export holds the pooler (<c>pooler.dense</c>).</param>
/// <param name="Messages">Notable facts, one line each.</param>
internal sealed record BertOnnxImport(
    BertConfig Config,
    BertTextTokenizer Tokenizer,
    BertOnnxGraph Graph,
    bool HasPooler,
    IReadOnlyList<string> Messages)
{
    /// <summary>Copies the weights into <paramref name="target"/>, which must have been built from a configuration of the same shapes.</summary>
    public void CopyWeightsInto(BertModel target) => BertOnnxImporter.CopyWeights(Graph, target, HasPooler);
}

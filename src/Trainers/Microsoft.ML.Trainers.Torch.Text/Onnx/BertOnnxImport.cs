using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>What <see cref="BertOnnxImporter"/> read from an ONNX encoder.</summary>
/// <param name="Config">The inferred (and overridden) configuration.</param>
/// <param name="Tokenizer">The tokenizer from the files beside the model.</param>
/// <param name="Weights">The encoder's tensors by Hugging Face <c>BertModel</c> name, in PyTorch's layout, float32.</param>
/// <param name="HasPooler">Whether the export holds the pooler (<c>pooler.dense</c>).</param>
/// <param name="Messages">Notable facts, one line each.</param>
internal sealed record BertOnnxImport(
    BertConfig Config,
    BertTextTokenizer Tokenizer,
    IReadOnlyDictionary<string, Tensor> Weights,
    bool HasPooler,
    IReadOnlyList<string> Messages);

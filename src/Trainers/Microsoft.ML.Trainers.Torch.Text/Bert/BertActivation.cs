using System;
using System.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>The feed-forward activations of Hugging Face's <c>ACT2FN</c>, by their <c>hidden_act</c> name.</summary>
internal static class BertActivation
{
    // Held for the process: a Scalar made implicitly from 1.702 could be freed by the GC during the native call.
    private static readonly Scalar QuickGeluScale = 1.702.ToScalar();

    /// <summary>Returns the activation named <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">The name is not one of <see cref="BertConfig.SupportedActivations"/>.</exception>
    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        // "gelu" is the exact erf form; the "new"/"pytorch_tanh"/"fast" variants are the tanh approximation.
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => x => nn.functional.gelu(x, GELU.Approximate.tanh),
        "quick_gelu" => x => x * sigmoid(x.mul(QuickGeluScale)),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        "tanh" => x => x.tanh(),
        _ => throw new InvalidDataException(
            $"hidden_act '{name}' is not supported; expected one of {string.Join(", ", BertConfig.SupportedActivations)}."),
    };
}

using System;
using System.Globalization;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Layer-wise learning-rate decay as timm's <c>param_groups_layer_decay</c> assigns it to a BERT: the embeddings are
/// layer 0, encoder layer <c>i</c> is layer <c>i + 1</c>, everything above the encoder (pooler, classifier) is layer
/// <c>L + 1</c> for <c>L</c> encoder layers, and a parameter's learning rate is scaled by <c>decay^(L + 1 - layer)</c>.
/// </summary>
internal static class BertLayerDecay
{
    private const string EmbeddingsPrefix = "bert.embeddings.";
    private const string EncoderLayerPrefix = "bert.encoder.layer.";

    /// <summary>The layer of the parameter named <paramref name="name"/> (as in <c>named_parameters()</c>).</summary>
    public static int LayerId(string name, int layers)
    {
        if (name.StartsWith(EmbeddingsPrefix, StringComparison.Ordinal))
        {
            return 0;
        }
        if (name.StartsWith(EncoderLayerPrefix, StringComparison.Ordinal))
        {
            string rest = name.Substring(EncoderLayerPrefix.Length);
            int dot = rest.IndexOf('.');
            if (dot > 0 && int.TryParse(rest.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out int layer))
            {
                return layer + 1;
            }
        }
        return layers + 1;
    }

    /// <summary>The learning-rate scale of the parameter named <paramref name="name"/>.</summary>
    public static double Scale(string name, int layers, double decay) => Math.Pow(decay, layers + 1 - LayerId(name, layers));
}

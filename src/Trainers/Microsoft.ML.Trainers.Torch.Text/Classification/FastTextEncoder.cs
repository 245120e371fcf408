using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>Hashed n-gram buckets per row; batches are the bucket ids concatenated plus each row's offset.</summary>
internal sealed class FastTextEncoder : ITextEncoder<int[]>
{
    public FastTextEncoder(FastTextFeaturizer featurizer) => Featurizer = featurizer;

    public FastTextFeaturizer Featurizer { get; }

    /// <summary>A pair is featurized as one text, the second on a new line (a bag of n-grams has no segments).</summary>
    public int[] Encode(string text, string? pair) => Featurizer.Featurize(pair is null ? text : text + "\n" + pair);

    public IReadOnlyList<Tensor> Collate(IReadOnlyList<int[]> rows)
    {
        (Tensor indices, Tensor offsets) = FastTextFeaturizer.ToTensors(rows);
        return new[] { indices, offsets };
    }
}

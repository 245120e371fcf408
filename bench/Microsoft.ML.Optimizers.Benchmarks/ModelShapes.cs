using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Optimizers.Benchmarks;

/// <summary>Parameter shapes of real models, so that tensor counts and sizes are realistic.</summary>
internal static class ModelShapes
{
    /// <summary>BERT-base with a 2-class head: 201 tensors, 109.5M parameters.</summary>
    public static List<long[]> BertBase()
    {
        const long hidden = 768, intermediate = 3072;
        var shapes = new List<long[]>
        {
            new[] { 30522L, hidden }, new[] { 512L, hidden }, new[] { 2L, hidden }, // word, position, token-type embeddings
            new[] { hidden }, new[] { hidden },                                      // embeddings LayerNorm
        };
        for (int layer = 0; layer < 12; layer++)
        {
            for (int i = 0; i < 4; i++)
            {
                shapes.Add(new[] { hidden, hidden });                                // query, key, value, attention output
                shapes.Add(new[] { hidden });
            }
            shapes.Add(new[] { hidden });                                            // attention LayerNorm
            shapes.Add(new[] { hidden });
            shapes.Add(new[] { intermediate, hidden });                              // feed-forward in
            shapes.Add(new[] { intermediate });
            shapes.Add(new[] { hidden, intermediate });                              // feed-forward out
            shapes.Add(new[] { hidden });
            shapes.Add(new[] { hidden });                                            // output LayerNorm
            shapes.Add(new[] { hidden });
        }
        shapes.Add(new[] { hidden, hidden });                                        // pooler
        shapes.Add(new[] { hidden });
        shapes.Add(new[] { 2L, hidden });                                            // classifier
        shapes.Add(new[] { 2L });
        return shapes;
    }

    /// <summary>torchvision's ResNet-50: 161 tensors, 25.6M parameters (BatchNorm weight and bias included).</summary>
    public static List<long[]> ResNet50()
    {
        var shapes = new List<long[]>();
        void ConvBn(long outChannels, long inChannels, long kernel)
        {
            shapes.Add(new[] { outChannels, inChannels, kernel, kernel });
            shapes.Add(new[] { outChannels });
            shapes.Add(new[] { outChannels });
        }
        ConvBn(64, 3, 7);
        long inC = 64;
        foreach ((long width, int blocks) in new[] { (64L, 3), (128L, 4), (256L, 6), (512L, 3) })
        {
            for (int b = 0; b < blocks; b++)
            {
                ConvBn(width, inC, 1);
                ConvBn(width, width, 3);
                ConvBn(width * 4, width, 1);
                if (b == 0)
                {
                    ConvBn(width * 4, inC, 1);                                       // downsample
                }
                inC = width * 4;
            }
        }
        shapes.Add(new[] { 1000L, 2048L });
        shapes.Add(new[] { 1000L });
        return shapes;
    }

    /// <summary>
    /// A model's tensors as the trainers split them for Muon (<c>MuonParameterSplit</c>): Muon takes the hidden weight
    /// matrices and convolution kernels; the AdamW fallback takes the embeddings (BERT's first three tensors), the
    /// classifier head (both models' last two) and every tensor of fewer than two dimensions (biases, norms).
    /// </summary>
    public static (List<long[]> Muon, List<long[]> Fallback) MuonSplit(string modelName, List<long[]> shapes)
    {
        int embeddings = modelName == "BERT-base" ? 3 : 0;
        const int head = 2;
        var muon = new List<long[]>();
        var fallback = new List<long[]>();
        for (int i = 0; i < shapes.Count; i++)
        {
            bool toFallback = shapes[i].Length < 2 || i < embeddings || i >= shapes.Count - head;
            (toFallback ? fallback : muon).Add(shapes[i]);
        }
        return (muon, fallback);
    }

    public static long Count(IEnumerable<long[]> shapes) => shapes.Sum(s => s.Aggregate(1L, (a, b) => a * b));
}

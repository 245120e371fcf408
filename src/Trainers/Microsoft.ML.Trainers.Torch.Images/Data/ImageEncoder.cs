using System;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// The one place decoded pixel bytes become the network's float scale ([0, 1], before normalization), shared by training,
/// validation and scoring so they cannot drift apart.
/// </summary>
internal static class ImageEncoder
{
    public static void ScaleBytes(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = source[i] / 255f;
        }
    }
}

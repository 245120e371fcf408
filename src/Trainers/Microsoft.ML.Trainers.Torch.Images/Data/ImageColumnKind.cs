namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>How the image column holds its images.</summary>
public enum ImageColumnKind
{
    /// <summary>Decoded images (<c>MLImage</c>, as made by <c>mlContext.Transforms.LoadImages</c>).</summary>
    MLImage,

    /// <summary>Encoded image files (PNG, JPEG, BMP, ...) as a vector of bytes.</summary>
    EncodedBytes,

    /// <summary>Pixel values as a float vector of channels × height × width (row-major, channel first).</summary>
    FloatVector,
}

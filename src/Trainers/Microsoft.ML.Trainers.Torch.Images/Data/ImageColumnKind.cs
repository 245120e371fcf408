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

    /// <summary>
    /// Paths of image files as text (as <c>mlContext.Data.LoadFromImageFolder</c> makes): training keeps only the paths
    /// and decodes each batch's files when it is drawn, so memory does not grow with the number of images.
    /// </summary>
    ImagePath,
}

using System;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;

namespace Microsoft.ML;

/// <summary>Adds the ResNet image classifier to <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
public static class ImageClassificationCatalog
{
    /// <summary>
    /// A ResNet image classifier trained with TorchSharp and the optimizer chosen in <paramref name="options"/>.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">Columns, architecture, optimizer, schedule and training loop settings.</param>
    public static ImageClassificationTrainer ImageClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        ImageClassificationTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageClassificationTrainer(MLNetBridge.EnvironmentOf(catalog), options);
    }

    /// <summary>A ResNet image classifier with default options on the named columns.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The key-typed label column.</param>
    /// <param name="imageColumnName">The image column (MLImage or encoded bytes).</param>
    /// <param name="architecture">The network.</param>
    /// <param name="epochs">Passes over the data.</param>
    public static ImageClassificationTrainer ImageClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string imageColumnName = "Image", ResNetArchitecture architecture = ResNetArchitecture.ResNet18, int epochs = 10)
        => catalog.ImageClassification(new ImageClassificationTrainerOptions
        {
            LabelColumnName = labelColumnName,
            ImageColumnName = imageColumnName,
            Architecture = architecture,
            Epochs = epochs,
        });
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Trains a torchvision-compatible ResNet on labelled images, from scratch or fine-tuned from
/// torchvision weights on disk, with the optimizer chosen in the options (SGD with momentum by default,
/// or AdamW). Create it with <c>mlContext.MulticlassClassification.Trainers.ImageClassification(...)</c>.
/// </summary>
public sealed class ImageClassificationTrainer : TorchClassificationTrainer<ImageClassificationTrainerOptions>
{
    internal ImageClassificationTrainer(IHostEnvironment env, ImageClassificationTrainerOptions options)
        : base(env, options, nameof(ImageClassificationTrainer))
    {
    }

    /// <inheritdoc />
    protected override void CheckInputShape(SchemaShape inputSchema)
        => ImageClassificationFit.CheckKind(Options, ImageColumnTypes.Detect(inputSchema, Options.ImageColumnName));

    /// <inheritdoc />
    protected override TorchClassificationFit CreateFit(IDataView trainingData, IChannel channel)
        => new ImageClassificationFit(Options, trainingData, channel);
}


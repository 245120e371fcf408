using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// One fit of <see cref="ImageClassificationTrainer"/>: the image column's kind, detected once from the training data,
/// the input shape and normalization (completed from the training images when the options leave it open), the reading
/// of training and validation images, and the ResNet it creates.
/// </summary>
internal sealed class ImageClassificationFit : TorchClassificationFit
{
    private static readonly float[] ImageNetMean = { 0.485f, 0.456f, 0.406f };
    private static readonly float[] ImageNetStd = { 0.229f, 0.224f, 0.225f };

    // ML.NET's ResNet-18 (CNTK) reads 0..255 pixels minus a mean image (ResNetPreprocess.onnx; its per-channel means,
    // checked by a test, are these in RGB order); in the trainer's 0..1 scale that is mean m/255 and std 1/255.
    internal static readonly float[] MLNetResNet18Mean = { 123.15163f / 255f, 115.90288f / 255f, 103.06262f / 255f };
    internal static readonly float[] MLNetResNet18Std = { 1f / 255f, 1f / 255f, 1f / 255f };

    /// <summary>torchvision's evaluation resize: 256 for a 224 crop.</summary>
    internal const double ImageNetEvaluationCropRatio = 0.875;

    private readonly ImageClassificationTrainerOptions _options;

    // Completed by the first ReadTrainingSet (the training data) when the normalization comes from the images.
    private ImageInputSpec _spec;

    // CropPadding in pixels for this image size (relative by default), checked before any data is read.
    private readonly int _cropPadding;

    public ImageClassificationFit(ImageClassificationTrainerOptions options, IDataView trainingData, IChannel channel)
        : base(options.LabelColumnName)
    {
        _options = options;
        ImageColumnKind kind = ImageColumnTypes.Detect(trainingData.Schema, options.ImageColumnName);
        CheckKind(options, kind);
        CheckAugmentation(options, kind);
        _spec = InputSpec(options, kind, trainingData, channel);
        _cropPadding = PaddedRandomCrop.ResolvePadding(options.CropPadding, _spec.Height, _spec.Width);
    }

    /// <summary>Throws naming the column when <paramref name="kind"/> contradicts the options or lacks a declared shape.</summary>
    public static void CheckKind(ImageClassificationTrainerOptions options, ImageColumnKind kind)
    {
        if (options.ImageColumnKind is ImageColumnKind declared && declared != kind)
        {
            throw new ArgumentException($"Image column '{options.ImageColumnName}' holds {kind} values but ImageColumnKind is {declared}.");
        }
        if (kind == ImageColumnKind.FloatVector && (options.ImageChannels == null || options.ImageHeight == null || options.ImageWidth == null))
        {
            throw new ArgumentException(
                $"Image column '{options.ImageColumnName}' is a float vector: set ImageChannels, ImageHeight and ImageWidth to declare its shape.");
        }
    }

    /// <summary>Throws naming the option when the augmentation needs decoded images but the column holds float vectors.</summary>
    private static void CheckAugmentation(ImageClassificationTrainerOptions options, ImageColumnKind kind)
    {
        if (kind != ImageColumnKind.FloatVector)
        {
            return;
        }
        if (options.EvaluationCropRatio is double ratio && ratio < 1)
        {
            throw new ArgumentException(
                $"EvaluationCropRatio {ratio} needs decoded images, but image column '{options.ImageColumnName}' holds float vectors already at the input size; leave it unset or 1.",
                nameof(ImageClassificationTrainerOptions.EvaluationCropRatio));
        }
        if (options.TrivialAugment && options.Augment)
        {
            throw new ArgumentException(
                $"TrivialAugment works on pixel values in [0, 1] from decoded images, but image column '{options.ImageColumnName}' holds float vectors.",
                nameof(ImageClassificationTrainerOptions.TrivialAugment));
        }
    }

    /// <summary>The training preprocessing the options choose (none without <see cref="ImageClassificationTrainerOptions.Augment"/>).</summary>
    private ImageAugmentationPipeline Pipeline(ImageInputSpec spec)
    {
        if (!_options.Augment)
        {
            return ImageAugmentationPipeline.None(spec);
        }
        RandomResizedCrop? crop = _options.Augmentation == ImageAugmentationPreset.ImageNet
            ? new RandomResizedCrop(_options.RandomResizedCropMinScale, _options.RandomResizedCropMaxScale,
                _options.RandomResizedCropMinRatio, _options.RandomResizedCropMaxRatio)
            : null;
        RandomErasing? erasing = _options.RandomErasingProbability > 0 ? new RandomErasing(_options.RandomErasingProbability) : null;
        Mixup? mixup = _options.MixupAlpha > 0 || _options.CutMixAlpha > 0
            ? new Mixup(_options.MixupAlpha, _options.CutMixAlpha, _options.MixupSwitchProbability, _options.MixupProbability, _options.LabelSmoothing)
            : null;
        return new ImageAugmentationPipeline(spec, crop, _cropPadding, _options.HorizontalFlip,
            _options.TrivialAugment ? new TrivialAugmentWide() : null, erasing, mixup);
    }

    protected internal override ITrainingSet ReadTrainingSet(IDataView data, LabelKeyInfo labels, IChannel channel)
    {
        ImageInputSpec spec = _spec;
        ImageColumnTypes.Check(data.Schema, spec.ColumnName, spec.Kind, spec.PixelCount);
        DataViewSchema.Column imageColumn = data.Schema[spec.ColumnName];
        DataViewSchema.Column labelColumn = data.Schema[LabelColumnName];
        if (spec.Kind == ImageColumnKind.ImagePath)
        {
            return Complete(ReadPaths(data, imageColumn, labelColumn), channel);
        }
        using DataViewRowCursor cursor = data.GetRowCursor(new[] { imageColumn, labelColumn });
        var reader = new ImagePixelReader(cursor, spec.Kind, spec.ColumnName, spec.Channels, spec.StoredHeight, spec.StoredWidth,
            coverCrop: spec.EvaluationCropRatio < 1);
        ValueGetter<uint> labelGetter = cursor.GetGetter<uint>(labelColumn);
        var classes = new List<int>();
        int n = spec.StoredPixelCount;
        byte[] bytes = Array.Empty<byte>();
        float[] floats = Array.Empty<float>();
        bool asFloats = spec.Kind == ImageColumnKind.FloatVector;
        while (cursor.MoveNext())
        {
            classes.Add(ReadClass(labelGetter, cursor.Position));
            int offset = (classes.Count - 1) * n;
            if (asFloats)
            {
                Grow(ref floats, offset + n);
                reader.ReadFloats(cursor.Position, floats.AsSpan(offset, n));
            }
            else
            {
                Grow(ref bytes, offset + n);
                reader.ReadBytes(cursor.Position, bytes.AsSpan(offset, n));
            }
        }
        int[] labelArray = classes.ToArray();
        ImageTrainingSet set = asFloats
            ? ImageTrainingSet.FromFloats(floats.AsSpan(0, labelArray.Length * n).ToArray(), labelArray, Pipeline(spec))
            : ImageTrainingSet.FromBytes(bytes.AsSpan(0, labelArray.Length * n).ToArray(), labelArray, Pipeline(spec));
        return Complete(set, channel);
    }

    /// <summary>Completes the normalization from the first (training) set's images when the options leave it open.</summary>
    private ImageTrainingSet Complete(ImageTrainingSet set, IChannel channel)
    {
        if (_spec.Mean.Length == 0 && set.Count > 0)
        {
            (float[] mean, float[] std) = set.ChannelStatistics();
            _spec = _spec with { Mean = mean, Std = std };
            channel.Info(MessageSensitivity.None, $"Normalization from {set.Count} training images: {_spec}");
        }
        return set.WithSpec(_spec);
    }

    /// <summary>Only the paths and classes: the files are decoded when a batch draws them.</summary>
    private ImageTrainingSet ReadPaths(IDataView data, DataViewSchema.Column imageColumn, DataViewSchema.Column labelColumn)
    {
        using DataViewRowCursor cursor = data.GetRowCursor(new[] { imageColumn, labelColumn });
        ValueGetter<ReadOnlyMemory<char>> pathGetter = cursor.GetGetter<ReadOnlyMemory<char>>(imageColumn);
        ValueGetter<uint> labelGetter = cursor.GetGetter<uint>(labelColumn);
        var paths = new List<string>();
        var classes = new List<int>();
        ReadOnlyMemory<char> path = default;
        while (cursor.MoveNext())
        {
            classes.Add(ReadClass(labelGetter, cursor.Position));
            pathGetter(ref path);
            if (path.IsEmpty)
            {
                throw new System.IO.InvalidDataException($"Row {cursor.Position}: image column '{imageColumn.Name}' holds an empty path.");
            }
            paths.Add(path.ToString());
        }
        return ImageTrainingSet.FromPaths(paths.ToArray(), classes.ToArray(), Pipeline(_spec));
    }

    /// <summary>
    /// Fits the starting weights into a network of the model's shape, so that weights of another architecture, width or
    /// channel count fail now, before any image is decoded, naming what differs: <see cref="TorchTrainerOptions.ContinueFrom"/>'s
    /// network by its tensors' names and shapes, a pretrained ONNX graph imported whole, a safetensors file by its header.
    /// The cost is one extra network construction.
    /// </summary>
    protected internal override void CheckStartingWeights(LabelKeyInfo labels, IChannel channel)
    {
        TorchClassificationModel? previous = (_options.ContinueFrom as TorchClassificationTransformer)?.Model;
        string? path = _options.PretrainedWeightsPath;
        if (previous == null && path == null)
        {
            return;
        }
        using var network = new ResNet(NetworkConfig(labels, _spec.Channels));
        if (previous != null)
        {
            ContinuedTraining.CheckNetworks(previous.Network, network);
        }
        if (path == null)
        {
            return;
        }
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            ResNetOnnxImport.Load(network, path);
            return;
        }
        using var reader = new SafetensorsReader(path);
        ModuleCheckpoint.Check(network, reader, PretrainedLoadOptions(reader, labels.ClassCount));
    }

    protected internal override TorchClassificationModel CreateModel(LabelKeyInfo labels, ITrainingSet trainingSet, IChannel channel)
    {
        ImageInputSpec spec = ((ImageTrainingSet)trainingSet).Spec;
        ResNetConfig config = NetworkConfig(labels, spec.Channels);
        var model = new ImageClassificationModel(config, spec);
        try
        {
            if (_options.PretrainedWeightsPath is string path)
            {
                LoadPretrained(model, path, labels.ClassCount, channel);
            }
            channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                $"{_options.Architecture} (base width {config.BaseWidth}), {model.Network.parameters().Sum(p => p.numel())} parameters, input {spec}"));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The input shape and normalization the options give, with open sizes taken from the first training image.</summary>
    private static ImageInputSpec InputSpec(ImageClassificationTrainerOptions options, ImageColumnKind kind, IDataView trainingData, IChannel channel)
    {
        int channels = options.ImageChannels ?? 3;
        int height, width;
        if (kind == ImageColumnKind.FloatVector)
        {
            height = options.ImageHeight!.Value;
            width = options.ImageWidth!.Value;
            if (trainingData.Schema[options.ImageColumnName].Type is VectorDataViewType { Size: > 0 } v && v.Size != channels * height * width)
            {
                throw new ArgumentException($"Image column '{options.ImageColumnName}' has {v.Size} values per row, not ImageChannels x ImageHeight x ImageWidth = {channels * height * width}.");
            }
        }
        else
        {
            (height, width) = (options.ImageHeight, options.ImageWidth) switch
            {
                (int h, int w) => (h, w),
                _ => FirstImageSize(trainingData, options.ImageColumnName, kind, options.ImageHeight, options.ImageWidth),
            };
        }
        bool pretrained = options.PretrainedWeightsPath != null;
        if (pretrained && channels != 3)
        {
            WarnIfFirstConvolutionMismatches(options.PretrainedWeightsPath!, channels, channel);
        }
        bool mlnet = options.Architecture == ResNetArchitecture.MLNetResNet18;
        float[] mean = options.NormalizationMean ?? (pretrained && channels == 3 ? (mlnet ? MLNetResNet18Mean : ImageNetMean) : Array.Empty<float>());
        float[] std = options.NormalizationStd ?? (pretrained && channels == 3 ? (mlnet ? MLNetResNet18Std : ImageNetStd) : Array.Empty<float>());
        if (!options.Normalize)
        {
            mean = Enumerable.Repeat(0f, channels).ToArray();
            std = Enumerable.Repeat(1f, channels).ToArray();
        }
        if (mean.Length != 0 && mean.Length != channels)
        {
            throw new ArgumentException($"NormalizationMean has {mean.Length} values for {channels} channels.", nameof(ImageClassificationTrainerOptions.NormalizationMean));
        }
        // torchvision's evaluation transform comes with the ImageNet recipe; float vectors are already at the input size.
        double ratio = options.EvaluationCropRatio
            ?? (options.Augmentation == ImageAugmentationPreset.ImageNet && kind != ImageColumnKind.FloatVector ? ImageNetEvaluationCropRatio : 1);
        int maxCropPadding = ImageInputSpec.MaxTestTimeCropPadding(height, width);
        if (options.TestTimeCropPadding < 0 || options.TestTimeCropPadding > maxCropPadding)
        {
            throw new ArgumentOutOfRangeException(nameof(ImageClassificationTrainerOptions.TestTimeCropPadding),
                $"TestTimeCropPadding must be in [0, {maxCropPadding}], at most ¼ of the {height}×{width} input's shorter side (was {options.TestTimeCropPadding}).");
        }
        // Empty mean/std: computed from the training images once they are read.
        return new ImageInputSpec
        {
            ColumnName = options.ImageColumnName, Kind = kind, Channels = channels, Height = height, Width = width, Mean = mean, Std = std,
            EvaluationCropRatio = ratio, TestTimeFlip = options.TestTimeFlip, TestTimeCropPadding = options.TestTimeCropPadding,
        };
    }

    /// <summary>
    /// Warns when the warm-start file's first convolution takes another number of channels than the images have; a
    /// safetensors file says so in its header (weights made for 1-channel input match and get no warning).
    /// </summary>
    private static void WarnIfFirstConvolutionMismatches(string path, int channels, IChannel channel)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            channel.Warning(MessageSensitivity.None, $"ImageChannels is {channels}: the first convolution of the ONNX weights '{path}' must take {channels} channels.");
            return;
        }
        using var reader = new SafetensorsReader(path);
        if (reader.TryGetInfo("conv1.weight", out SafetensorsTensorInfo conv) && conv.ShapeArray.Length == 4 && conv.ShapeArray[1] != channels)
        {
            channel.Warning(MessageSensitivity.None,
                $"The weights in '{path}' expect {conv.ShapeArray[1]} input channel(s) (conv1.weight), but ImageChannels is {channels}; the first convolution will not match.");
        }
    }

    private static void LoadPretrained(ImageClassificationModel model, string path, int classCount, IChannel channel)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var network = (ResNet)model.Network;
            int copied = ResNetOnnxImport.Load(network, path);
            network.ResetClassifier();
            channel.Info(MessageSensitivity.None, $"Imported {copied} backbone tensors from the ONNX graph '{path}'; the {classCount}-class head 'fc' is initialised for fine-tuning.");
            return;
        }
        using var reader = new SafetensorsReader(path);
        CheckpointLoadOptions options = PretrainedLoadOptions(reader, classCount);
        if (options.IgnorePrefixes.Count > 0)
        {
            reader.TryGetInfo("fc.weight", out SafetensorsTensorInfo head);
            channel.Info(MessageSensitivity.None,
                $"'{path}' has a {(head.ShapeArray is { Length: > 0 } s ? s[0] : 0)}-class head; the {classCount}-class head 'fc' is re-initialised for fine-tuning.");
        }
        ModuleCheckpoint.Load(model.Network, reader, options);
    }

    /// <summary>Strict, except that a head for another number of classes is left out (and re-initialised).</summary>
    private static CheckpointLoadOptions PretrainedLoadOptions(SafetensorsReader reader, int classCount)
    {
        bool headMatches = reader.TryGetInfo("fc.weight", out SafetensorsTensorInfo head) && head.ShapeArray[0] == classCount;
        return headMatches ? new CheckpointLoadOptions() : new CheckpointLoadOptions { IgnorePrefixes = new[] { "fc." }, AllowMissing = true };
    }

    private ResNetConfig NetworkConfig(LabelKeyInfo labels, int channels)
        => ResNetConfig.FromArchitecture(_options.Architecture, labels.ClassCount, channels, _options.BaseWidth) with { ZeroInitResidual = _options.ZeroInitResidual };

    /// <summary>The size of the first training image, for any dimension the options leave open.</summary>
    private static (int Height, int Width) FirstImageSize(IDataView data, string columnName, ImageColumnKind kind, int? height, int? width)
    {
        DataViewSchema.Column column = data.Schema[columnName];
        using DataViewRowCursor cursor = data.GetRowCursor(new[] { column });
        if (!cursor.MoveNext())
        {
            throw new InvalidOperationException("The training data has no rows.");
        }
        int h, w;
        if (kind == ImageColumnKind.ImagePath)
        {
            ReadOnlyMemory<char> path = default;
            cursor.GetGetter<ReadOnlyMemory<char>>(column)(ref path);
            try
            {
                (h, w) = ImagePixelReader.FileImageSize(path.ToString());
            }
            catch (Exception e) when (e is System.IO.IOException or System.IO.InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                throw new System.IO.InvalidDataException($"Row 0: image column '{columnName}' names '{path}', which could not be read as an image: {e.Message}", e);
            }
        }
        else if (kind == ImageColumnKind.MLImage)
        {
            MLImage? image = null;
            cursor.GetGetter<MLImage>(column)(ref image!);
            if (image == null)
            {
                throw new System.IO.InvalidDataException($"Row 0: image column '{columnName}' holds no image.");
            }
            (h, w) = (image.Height, image.Width);
        }
        else
        {
            VBuffer<byte> bytes = default;
            cursor.GetGetter<VBuffer<byte>>(column)(ref bytes);
            using var codec = SkiaSharp.SKCodec.Create(new System.IO.MemoryStream(bytes.DenseValues().ToArray()))
                ?? throw new System.IO.InvalidDataException($"Row 0: image column '{columnName}' holds bytes that are not a decodable image.");
            (h, w) = (codec.Info.Height, codec.Info.Width);
        }
        return (height ?? h, width ?? w);
    }

    private static void Grow<T>(ref T[] array, int needed)
    {
        if (array.Length < needed)
        {
            Array.Resize(ref array, Math.Max(needed, array.Length * 2));
        }
    }
}

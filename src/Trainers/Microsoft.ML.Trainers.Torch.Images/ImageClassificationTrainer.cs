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
    private static readonly float[] ImageNetMean = { 0.485f, 0.456f, 0.406f };
    private static readonly float[] ImageNetStd = { 0.229f, 0.224f, 0.225f };

    private ImageInputSpec? _spec;

    internal ImageClassificationTrainer(IHostEnvironment env, ImageClassificationTrainerOptions options)
        : base(env, options, nameof(ImageClassificationTrainer))
    {
    }

    /// <inheritdoc />
    protected override void CheckInputShape(SchemaShape inputSchema)
    {
        ImageColumnKind kind = ImageColumnTypes.Detect(inputSchema, Options.ImageColumnName);
        if (Options.ImageColumnKind is ImageColumnKind declared && declared != kind)
        {
            throw new ArgumentException($"Image column '{Options.ImageColumnName}' holds {kind} values but ImageColumnKind is {declared}.");
        }
        if (kind == ImageColumnKind.FloatVector && (Options.ImageChannels == null || Options.ImageHeight == null || Options.ImageWidth == null))
        {
            throw new ArgumentException(
                $"Image column '{Options.ImageColumnName}' is a float vector: set ImageChannels, ImageHeight and ImageWidth to declare its shape.");
        }
    }

    /// <inheritdoc />
    protected override void BeginFit(IDataView trainingData, IChannel channel)
    {
        ImageColumnKind kind = ImageColumnTypes.Detect(trainingData.Schema, Options.ImageColumnName);
        int channels = Options.ImageChannels ?? 3;
        int height, width;
        if (kind == ImageColumnKind.FloatVector)
        {
            height = Options.ImageHeight!.Value;
            width = Options.ImageWidth!.Value;
            if (trainingData.Schema[Options.ImageColumnName].Type is VectorDataViewType { Size: > 0 } v && v.Size != channels * height * width)
            {
                throw new ArgumentException($"Image column '{Options.ImageColumnName}' has {v.Size} values per row, not ImageChannels x ImageHeight x ImageWidth = {channels * height * width}.");
            }
        }
        else
        {
            (height, width) = (Options.ImageHeight, Options.ImageWidth) switch
            {
                (int h, int w) => (h, w),
                _ => FirstImageSize(trainingData, kind, Options.ImageHeight, Options.ImageWidth),
            };
        }
        bool pretrained = Options.PretrainedWeightsPath != null;
        if (pretrained && channels != 3)
        {
            channel.Warning(MessageSensitivity.None, "torchvision weights expect 3 channels; the first convolution will not match a 1-channel input.");
        }
        float[] mean = Options.NormalizationMean ?? (pretrained && channels == 3 ? ImageNetMean : Array.Empty<float>());
        float[] std = Options.NormalizationStd ?? (pretrained && channels == 3 ? ImageNetStd : Array.Empty<float>());
        if (!Options.Normalize)
        {
            mean = Enumerable.Repeat(0f, channels).ToArray();
            std = Enumerable.Repeat(1f, channels).ToArray();
        }
        if (mean.Length != 0 && mean.Length != channels)
        {
            throw new ArgumentException($"NormalizationMean has {mean.Length} values for {channels} channels.", nameof(ImageClassificationTrainerOptions.NormalizationMean));
        }
        // Empty mean/std: computed from the training images once they are read.
        _spec = new ImageInputSpec { ColumnName = Options.ImageColumnName, Kind = kind, Channels = channels, Height = height, Width = width, Mean = mean, Std = std };
    }

    /// <inheritdoc />
    protected override ITrainingSet ReadTrainingSet(IDataView data, LabelKeyInfo labels, IChannel channel)
    {
        ImageInputSpec spec = _spec ?? throw new InvalidOperationException("BeginFit must run before data is read.");
        ImageColumnTypes.Check(data.Schema, spec.ColumnName, spec.Kind, spec.PixelCount);
        DataViewSchema.Column imageColumn = data.Schema[spec.ColumnName];
        DataViewSchema.Column labelColumn = data.Schema[Options.LabelColumnName];
        using DataViewRowCursor cursor = data.GetRowCursor(new[] { imageColumn, labelColumn });
        var reader = new ImagePixelReader(cursor, spec.Kind, spec.ColumnName, spec.Channels, spec.Height, spec.Width);
        ValueGetter<uint> labelGetter = cursor.GetGetter<uint>(labelColumn);
        var classes = new List<int>();
        int n = spec.PixelCount;
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
        int padding = Options.Augment ? Options.CropPadding : 0;
        bool flip = Options.Augment && Options.HorizontalFlip;
        ImageTrainingSet set = asFloats
            ? ImageTrainingSet.FromFloats(floats.AsSpan(0, labelArray.Length * n).ToArray(), labelArray, spec, padding, flip)
            : ImageTrainingSet.FromBytes(bytes.AsSpan(0, labelArray.Length * n).ToArray(), labelArray, spec, padding, flip);
        if (spec.Mean.Length == 0 && set.Count > 0)
        {
            (float[] mean, float[] std) = set.ChannelStatistics();
            _spec = spec with { Mean = mean, Std = std };
            channel.Info(MessageSensitivity.None, $"Normalization from {set.Count} training images: {_spec}");
            set = set.WithSpec(_spec);
        }
        return set;
    }

    /// <inheritdoc />
    protected override TorchClassificationModel CreateModel(LabelKeyInfo labels, ITrainingSet trainingSet, IChannel channel)
    {
        ImageInputSpec spec = ((ImageTrainingSet)trainingSet).Spec;
        ResNetConfig config = ResNetConfig.FromArchitecture(Options.Architecture, labels.ClassCount, spec.Channels, Options.BaseWidth);
        config = new ResNetConfig
        {
            Block = config.Block, Layers = config.Layers, Stem = config.Stem, BaseWidth = config.BaseWidth,
            NumClasses = config.NumClasses, InputChannels = config.InputChannels, ZeroInitResidual = Options.ZeroInitResidual,
        };
        var model = new ImageClassificationModel(config, spec);
        try
        {
            if (Options.PretrainedWeightsPath is string path)
            {
                LoadPretrained(model, path, labels.ClassCount, channel);
            }
            channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                $"{Options.Architecture} (base width {config.BaseWidth}), {model.Network.parameters().Sum(p => p.numel())} parameters, input {spec}"));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static void LoadPretrained(ImageClassificationModel model, string path, int classCount, IChannel channel)
    {
        using var reader = new SafetensorsReader(path);
        bool headMatches = reader.TryGetInfo("fc.weight", out SafetensorsTensorInfo head) && head.ShapeArray[0] == classCount;
        var options = headMatches ? new CheckpointLoadOptions() : new CheckpointLoadOptions { IgnorePrefixes = new[] { "fc." }, AllowMissing = true };
        if (!headMatches)
        {
            channel.Info(MessageSensitivity.None,
                $"'{path}' has a {(head.ShapeArray is { Length: > 0 } s ? s[0] : 0)}-class head; the {classCount}-class head 'fc' is re-initialised for fine-tuning.");
        }
        ModuleCheckpoint.Load(model.Network, reader, options);
    }

    /// <summary>The size of the first training image, for any dimension the options leave open.</summary>
    private (int Height, int Width) FirstImageSize(IDataView data, ImageColumnKind kind, int? height, int? width)
    {
        DataViewSchema.Column column = data.Schema[Options.ImageColumnName];
        using DataViewRowCursor cursor = data.GetRowCursor(new[] { column });
        if (!cursor.MoveNext())
        {
            throw new InvalidOperationException("The training data has no rows.");
        }
        int h, w;
        if (kind == ImageColumnKind.MLImage)
        {
            MLImage? image = null;
            cursor.GetGetter<MLImage>(column)(ref image!);
            if (image == null)
            {
                throw new System.IO.InvalidDataException($"Row 0: image column '{Options.ImageColumnName}' holds no image.");
            }
            (h, w) = (image.Height, image.Width);
        }
        else
        {
            VBuffer<byte> bytes = default;
            cursor.GetGetter<VBuffer<byte>>(column)(ref bytes);
            using var codec = SkiaSharp.SKCodec.Create(new System.IO.MemoryStream(bytes.DenseValues().ToArray()))
                ?? throw new System.IO.InvalidDataException($"Row 0: image column '{Options.ImageColumnName}' holds bytes that are not a decodable image.");
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

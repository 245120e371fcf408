using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// A trained ResNet image classifier: the torchvision-compatible network plus how images become input.
/// Saved with its configuration and its weights (safetensors) inside the ML.NET model zip.
/// </summary>
public sealed class ImageClassificationModel : TorchClassificationModel, ILoadableClassificationModel<ImageClassificationModel>
{
    // 2: ResNetConfig.Padding; 3: ImageInputSpec.EvaluationCropRatio; 4: ImageInputSpec.TestTimeFlip; 5: ImageInputSpec.TestTimeCropPadding
    private const int FormatVersion = 5;
    private readonly ResNet _network;

    /// <summary>Creates a freshly initialised network for <paramref name="config"/>.</summary>
    public ImageClassificationModel(ResNetConfig config, ImageInputSpec input) : base(config.NumClasses)
    {
        if (config.InputChannels != input.Channels)
        {
            throw new ArgumentException($"The network takes {config.InputChannels} channels but the input has {input.Channels}.", nameof(input));
        }
        Config = config;
        Input = input;
        _network = new ResNet(config);
    }

    /// <summary>The network's topology.</summary>
    public ResNetConfig Config { get; }

    /// <summary>How rows become network input.</summary>
    public ImageInputSpec Input { get; }

    /// <inheritdoc />
    public override nn.Module Network => _network;

    /// <inheritdoc/>
    public override string? HeadModuleName => "fc";

    /// <inheritdoc />
    public override IReadOnlyList<string> InputColumnNames => new[] { Input.ColumnName };

    /// <inheritdoc />
    public override void CheckInputSchema(DataViewSchema schema)
        => ImageColumnTypes.Check(schema, Input.ColumnName, Input.Kind, Input.PixelCount);

    /// <inheritdoc />
    public override IBatchFeaturizer CreateFeaturizer(DataViewRow row) => new ImageFeaturizer(row, Input);

    /// <inheritdoc />
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => _network.forward(inputs[0]);

    /// <inheritdoc />
    /// <remarks>
    /// With test-time augmentation (<see cref="ImageInputSpec.TestTimeFlip"/>, <see cref="ImageInputSpec.TestTimeCropPadding"/>)
    /// the result is the log of the sum of the views' probabilities, so that softmax reads their mean. The views go through
    /// the network one crop at a time (an image and its mirror in one batch), so memory stays that of the flip alone.
    /// </remarks>
    public override Tensor EvaluationForward(IReadOnlyList<Tensor> inputs)
    {
        if (!Input.TestTimeFlip && Input.TestTimeCropPadding == 0)
        {
            return Forward(inputs);
        }
        Tensor? logSum = null;
        foreach (Tensor crop in TestTimeCrops(inputs[0]))
        {
            Tensor logProbabilities = ViewLogProbabilities(crop);
            logSum = logSum is null ? logProbabilities : logaddexp(logSum, logProbabilities);
        }
        return logSum!;
    }

    /// <summary>The image itself, then, with a crop padding, the four corner crops of it padded with black.</summary>
    private IEnumerable<Tensor> TestTimeCrops(Tensor images)
    {
        yield return images;
        int pad = Input.TestTimeCropPadding;
        if (pad == 0)
        {
            yield break;
        }
        long height = images.shape[2], width = images.shape[3];
        // Black before normalization is -mean/std after it: a black canvas with the images copied into its middle.
        float[] blackValues = Input.Mean.Zip(Input.Std, (m, s) => -m / s).ToArray();
        Tensor padded = tensor(blackValues, new long[] { 1, blackValues.Length, 1, 1 }).to(images.dtype).to(images.device)
            .expand(images.shape[0], images.shape[1], height + 2 * pad, width + 2 * pad).clone();
        padded.narrow(2, pad, height).narrow(3, pad, width).copy_(images);
        foreach (long top in new long[] { 0, 2 * pad })
        {
            foreach (long left in new long[] { 0, 2 * pad })
            {
                yield return padded.narrow(2, top, height).narrow(3, left, width);
            }
        }
    }

    /// <summary>
    /// Log-probabilities of one view; with the flip, the log of the summed probabilities of it and its mirror.
    /// Eval mode: batch norm uses its running statistics, so each image's output does not depend on its batch mates.
    /// </summary>
    private Tensor ViewLogProbabilities(Tensor images)
    {
        if (!Input.TestTimeFlip)
        {
            return nn.functional.log_softmax(_network.forward(images).to(ScalarType.Float32), 1);
        }
        long count = images.shape[0];
        Tensor both = nn.functional.log_softmax(_network.forward(cat(new[] { images, images.flip(3) }, 0)).to(ScalarType.Float32), 1);
        return logaddexp(both.narrow(0, 0, count), both.narrow(0, count, count));
    }

    /// <inheritdoc />
    public override void Save(Stream stream)
    {
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            ResNetConfigFormat.Write(writer, Config);
            Input.Write(writer);
        }
        ModuleCheckpoint.Save(_network, stream);
    }

    /// <inheritdoc />
    public static ImageClassificationModel Load(Stream stream)
    {
        ResNetConfig config;
        ImageInputSpec input;
        using (var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            // Formats 1 (before ResNetConfig.Padding), 2 (before the evaluation crop), 3 (before the test-time flip) and 4
            // (before the test-time crops) still load: models users saved keep working.
            int version = ReadFormatVersion(reader, new[] { 1, 2, 3, 4, FormatVersion }, "image classifier");
            config = ResNetConfigFormat.Read(reader, hasPadding: version >= 2);
            input = ImageInputSpec.Read(reader, hasEvaluationCropRatio: version >= 3, hasTestTimeFlip: version >= 4, hasTestTimeCropPadding: version >= 5);
        }
        var model = new ImageClassificationModel(config, input);
        ModuleCheckpoint.Load(model._network, stream, "image classifier weights");
        return model;
    }

    /// <summary>
    /// Reads image rows into normalized batches exactly as validation prepared them: the same reader at the held size, the
    /// same <see cref="ImageAugmentationPipeline.Evaluate"/> crop, the same normalization.
    /// </summary>
    private sealed class ImageFeaturizer : IBatchFeaturizer
    {
        private readonly ImagePixelReader _reader;
        private readonly ImageInputSpec _spec;
        private readonly List<float> _values = new();
        private readonly byte[] _bytes;
        private readonly float[] _stored;
        private readonly float[] _floats;

        public ImageFeaturizer(DataViewRow row, ImageInputSpec spec)
        {
            _spec = spec;
            _reader = new ImagePixelReader(row, spec.Kind, spec.ColumnName, spec.Channels, spec.StoredHeight, spec.StoredWidth,
                coverCrop: spec.EvaluationCropRatio < 1);
            _bytes = new byte[spec.StoredPixelCount];
            _stored = new float[spec.StoredPixelCount];
            _floats = new float[spec.PixelCount];
        }

        public int Count { get; private set; }

        public void Add(long rowIndex)
        {
            if (_spec.Kind == ImageColumnKind.FloatVector)
            {
                _reader.ReadFloats(rowIndex, _stored);
            }
            else
            {
                _reader.ReadBytes(rowIndex, _bytes);
                ImageEncoder.ScaleBytes(_bytes, _stored);
            }
            ImageAugmentationPipeline.Evaluate(_stored, _spec, _floats);
            _values.AddRange(_floats);
            Count++;
        }

        public IReadOnlyList<Tensor> TakeBatch()
        {
            Tensor images = tensor(_values.ToArray(), new long[] { Count, _spec.Channels, _spec.Height, _spec.Width });
            _values.Clear();
            Count = 0;
            return new[] { ImageNormalization.Apply(images, _spec) };
        }
    }
}

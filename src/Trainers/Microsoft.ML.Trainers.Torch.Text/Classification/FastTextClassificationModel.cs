using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// A trained fastText-style text classifier: the hashed n-gram featurizer's options and the network's weights,
/// saved inside the ML.NET model zip.
/// </summary>
public sealed class FastTextClassificationModel : TorchClassificationModel, ILoadableClassificationModel<FastTextClassificationModel>
{
    private const int FormatVersion = 1;
    private readonly FastTextClassifier _network;
    private readonly FastTextEncoder _encoder;
    private readonly TextColumns _columns;

    internal FastTextClassificationModel(FastTextOptions options, int classCount, TextColumns columns, Generator? generator = null) : base(classCount)
    {
        _network = new FastTextClassifier(options, classCount, generator);
        _encoder = new FastTextEncoder(new FastTextFeaturizer(options));
        _columns = columns;
    }

    /// <summary>The model and featurizer shape.</summary>
    public FastTextOptions Options => _network.Options;

    internal FastTextEncoder Encoder => _encoder;

    /// <inheritdoc />
    public override nn.Module Network => _network;

    /// <inheritdoc/>
    public override string? HeadModuleName => "classifier";

    /// <inheritdoc />
    public override IReadOnlyList<string> InputColumnNames => _columns.Names;

    /// <summary>The embedding table, when its gradients are sparse (the default).</summary>
    public override IReadOnlyCollection<string> SparseGradientParameterNames =>
        Options.SparseGradients ? new[] { FastTextClassifier.EmbeddingWeightName } : System.Array.Empty<string>();

    /// <inheritdoc />
    public override void CheckInputSchema(DataViewSchema schema) => _columns.Check(schema);

    /// <inheritdoc />
    public override IBatchFeaturizer CreateFeaturizer(DataViewRow row) => new TextBatchFeaturizer<int[]>(row, _columns, _encoder);

    /// <inheritdoc />
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => _network.forward(inputs[0], inputs[1]);

    /// <inheritdoc />
    public override void Save(Stream stream)
    {
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            _columns.Write(writer);
            writer.Write(ClassCount);
            writer.Write(Options.ToJson());
        }
        ModuleCheckpoint.Save(_network, stream);
    }

    /// <inheritdoc />
    public static FastTextClassificationModel Load(Stream stream)
    {
        TextColumns columns;
        int classCount;
        FastTextOptions options;
        using (var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true))
        {
            ReadFormatVersion(reader, FormatVersion, "fastText classifier");
            columns = TextColumns.Read(reader);
            classCount = reader.ReadInt32();
            options = FastTextOptions.FromJson(reader.ReadString());
        }
        var model = new FastTextClassificationModel(options, classCount, columns);
        try
        {
            ModuleCheckpoint.Load(model._network, stream, "fastText classifier weights");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}

using System;
using System.IO;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// A trained TorchSharp classifier as an ML.NET transformer: adds <c>Score</c> (softmax probabilities
/// ordered by label key) and <c>PredictedLabel</c> (key) columns, scores in batches, works with
/// <c>PredictionEngine</c>, and saves its weights inside the ML.NET model zip.
/// </summary>
public sealed class TorchClassificationTransformer : ITransformer, IDisposable
{
    internal const string LoaderSignature = "TorchClassifier";
    internal const string PayloadName = "TorchClassifier.bin";
    // 0x00010002 adds a SHA-256 of the weights payload; models of 0x00010001 (no checksum) still load.
    internal const uint ChecksumVersion = 0x00010002;
    // 0x00010003 appends the optimizer's state; only models that carry one are written with it, so the others stay
    // byte-for-byte as before and older readers still load them.
    internal const uint OptimizerStateVersion = 0x00010003;
    internal static readonly ModelVersion Version = new("TORCHCLS", OptimizerStateVersion, LoaderSignature, typeof(TorchClassificationTransformer).Assembly.FullName!,
        OldestReadable: 0x00010001);
    private static readonly ModelVersion WithoutOptimizerState = Version with { Version = ChecksumVersion };

    private readonly ClassificationOutputColumns _outputs;
    private bool _disposed;

    /// <summary>Wraps a trained model.</summary>
    /// <param name="model">The trained model; the transformer owns and disposes it.</param>
    /// <param name="labels">The training label column's key type.</param>
    /// <param name="labelColumnName">The label column; when present at prediction time its keys are checked against training.</param>
    /// <param name="scoreColumnName">The Score column to add.</param>
    /// <param name="predictedLabelColumnName">The PredictedLabel column to add.</param>
    /// <param name="scoringBatchSize">Rows per forward pass in <see cref="Transform"/>.</param>
    public TorchClassificationTransformer(TorchClassificationModel model, LabelKeyInfo labels, string labelColumnName = "Label",
        string scoreColumnName = "Score", string predictedLabelColumnName = "PredictedLabel", int scoringBatchSize = 64)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Labels = labels ?? throw new ArgumentNullException(nameof(labels));
        if (labels.ClassCount != model.ClassCount)
        {
            throw new ArgumentException($"The model predicts {model.ClassCount} classes but the label has {labels.ClassCount}.", nameof(labels));
        }
        if (scoringBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(scoringBatchSize), $"ScoringBatchSize must be at least 1 (was {scoringBatchSize}).");
        }
        LabelColumnName = labelColumnName;
        ScoringBatchSize = scoringBatchSize;
        _outputs = new ClassificationOutputColumns(labels, scoreColumnName, predictedLabelColumnName);
    }

    /// <summary>The trained model.</summary>
    public TorchClassificationModel Model { get; }

    /// <summary>
    /// True when the model carries its optimizer's state (trained with <see cref="TorchTrainerOptions.SaveOptimizerState"/>),
    /// which a fit with <see cref="TorchTrainerOptions.ContinueWithOptimizerState"/> starts from. Saved and loaded with the model.
    /// </summary>
    public bool HasOptimizerState => OptimizerState != null;

    /// <summary>The optimizer state the model carries, or null.</summary>
    internal TrainedOptimizerState? OptimizerState { get; init; }

    /// <summary>The label key type seen in training.</summary>
    public LabelKeyInfo Labels { get; }

    /// <summary>The training label column's name.</summary>
    public string LabelColumnName { get; }

    /// <summary>Rows scored per forward pass by <see cref="Transform"/>.</summary>
    public int ScoringBatchSize { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Model.CheckInputSchema(inputSchema);
        LabelColumnForChecks(inputSchema);
        return _outputs.AppendTo(inputSchema);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new SingleRowMapper(this, inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchScoringDataView(input, this);
    }

    /// <summary>
    /// The label column when the data carries one of key type, after checking it has the training
    /// key count; null when the data has no such column (typical at prediction time).
    /// </summary>
    internal DataViewSchema.Column? LabelColumnForChecks(DataViewSchema schema)
    {
        DataViewSchema.Column? column = schema.GetColumnOrNull(LabelColumnName);
        if (column == null || column.Value.Type is not KeyDataViewType key)
        {
            return null;
        }
        if (key.Count != (ulong)Labels.ClassCount)
        {
            throw new ArgumentException(
                $"Label column '{LabelColumnName}' has {key.Count} classes but the model was trained on {Labels.ClassCount}. " +
                "Labels unseen in training cannot be scored; map labels with the key mapping fitted on the training data.");
        }
        return column;
    }

    /// <summary>
    /// The error for a row whose label key is 0 (a value the training key mapping never saw): scoring rejects it the same
    /// way in <see cref="Transform"/> and in the row-by-row path of <c>PredictionEngine</c>.
    /// </summary>
    internal static InvalidOperationException UnseenLabel(long row, string labelColumnName) => new(
        $"Row {row}: label column '{labelColumnName}' holds a value that was not among the training labels " +
        "(its key is missing). Map labels with the key mapping fitted on the training data, and drop rows whose labels were never seen.");

    void ICanSaveModel.Save(ModelSaveContext ctx)
        => MLNetBridge.Save(ctx, OptimizerState != null ? Version : WithoutOptimizerState, PayloadName, Write);

    private void Write(BinaryWriter writer)
    {
        writer.Write(LabelColumnName);
        writer.Write(_outputs.ScoreColumnName);
        writer.Write(_outputs.PredictedLabelColumnName);
        writer.Write(ScoringBatchSize);
        Labels.Write(writer);
        Type modelType = Model.GetType();
        writer.Write(modelType.FullName!);
        writer.Write(modelType.Assembly.GetName().Name!);
        using var payload = new MemoryStream();
        Model.Save(payload);
        writer.Write(payload.Length);
        writer.Write(SHA256.HashData(payload.GetBuffer().AsSpan(0, (int)payload.Length)));
        payload.Position = 0;
        payload.CopyTo(writer.BaseStream);
        OptimizerState?.Write(writer);
    }

    internal static TorchClassificationTransformer Read(BinaryReader reader, uint formatVersion)
    {
        string typeName = "(unknown)";
        try
        {
            string label = reader.ReadString();
            string score = reader.ReadString();
            string predicted = reader.ReadString();
            int batchSize = reader.ReadInt32();
            LabelKeyInfo labels = LabelKeyInfo.Read(reader);
            typeName = reader.ReadString();
            string assemblyName = reader.ReadString();
            long length = reader.ReadInt64();
            if (length < 0 || length > int.MaxValue || (reader.BaseStream.CanSeek && length > reader.BaseStream.Length - reader.BaseStream.Position))
            {
                throw new InvalidDataException($"Entry '{PayloadName}' of the model zip is truncated or corrupt: the '{typeName}' weights claim {length} bytes.");
            }
            byte[]? expectedHash = formatVersion >= ChecksumVersion ? reader.ReadBytes(SHA256.HashSizeInBytes) : null;
            byte[] bytes = ReadUpTo(reader, (int)length);
            if (bytes.Length != length)
            {
                throw new InvalidDataException($"Entry '{PayloadName}' of the model zip is truncated: the saved '{typeName}' model has {bytes.Length} of {length} bytes.");
            }
            if (expectedHash != null && !SHA256.HashData(bytes).AsSpan().SequenceEqual(expectedHash))
            {
                throw new InvalidDataException($"Entry '{PayloadName}' of the model zip is corrupt: the '{typeName}' weights fail their SHA-256 check.");
            }
            TrainedOptimizerState? optimizerState = formatVersion >= OptimizerStateVersion ? TrainedOptimizerState.Read(reader, PayloadName) : null;
            TorchClassificationModel model = LoadModel(typeName, assemblyName, new MemoryStream(bytes, writable: false));
            return new TorchClassificationTransformer(model, labels, label, score, predicted, batchSize) { OptimizerState = optimizerState };
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or ArgumentException or DecoderFallbackException or FormatException
            || (e is InvalidDataException && !e.Message.Contains(PayloadName, StringComparison.Ordinal)))
        {
            // Garbage bytes surface as whatever the reader trips on first; say which entry and model they came from.
            throw new InvalidDataException($"Entry '{PayloadName}' of the model zip is corrupt or truncated (model type '{typeName}'): {e.Message}", e);
        }
    }

    /// <summary>Reads up to <paramref name="length"/> bytes in chunks, so a garbage length never allocates more than the stream holds.</summary>
    private static byte[] ReadUpTo(BinaryReader reader, int length)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[Math.Min(length, 1 << 20)];
        while (buffer.Length < length)
        {
            int read = reader.Read(chunk, 0, (int)Math.Min(chunk.Length, length - buffer.Length));
            if (read == 0)
            {
                break;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static TorchClassificationModel LoadModel(string typeName, string assemblyName, Stream payload)
    {
        Type? type = Type.GetType($"{typeName}, {assemblyName}", throwOnError: false);
        if (type == null || !typeof(TorchClassificationModel).IsAssignableFrom(type))
        {
            throw new InvalidDataException($"The model zip names model type '{typeName}' from assembly '{assemblyName}', which could not be loaded as a TorchClassificationModel. Reference that assembly from the application.");
        }
        MethodInfo load = typeof(TorchClassificationTransformer).GetMethod(nameof(LoadTyped), BindingFlags.NonPublic | BindingFlags.Static)!;
        try
        {
            return (TorchClassificationModel)load.MakeGenericMethod(type).Invoke(null, new object[] { payload })!;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Model type '{typeName}' does not implement ILoadableClassificationModel<{type.Name}>.", e);
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static TorchClassificationModel LoadTyped<T>(Stream payload) where T : TorchClassificationModel, ILoadableClassificationModel<T>
        => T.Load(payload);

    /// <summary>Disposes the model's native memory.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            Model.Dispose();
            _disposed = true;
        }
    }
}

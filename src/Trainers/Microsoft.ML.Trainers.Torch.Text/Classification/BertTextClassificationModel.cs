using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// A trained BERT-family text classifier: configuration, tokenizer settings, vocabulary and weights, all saved
/// inside the ML.NET model zip (no side files, no download).
/// </summary>
/// <remarks>
/// Scoring is length-bucketed: a scoring batch is sorted by token count and run in groups of
/// <see cref="LengthBucketSize"/> rows, each padded only to its own longest row, so short texts do not pay for the
/// longest text of the batch.
/// </remarks>
public sealed class BertTextClassificationModel : TorchClassificationModel, ILoadableClassificationModel<BertTextClassificationModel>
{
    /// <summary>Rows per forward pass within a length-sorted scoring batch.</summary>
    public const int LengthBucketSize = 32;

    // Version 3 adds the window count, version 2 the tail length of head+tail truncation; version 1 models truncate to
    // the head.
    private const int FormatVersion = 3;
    private readonly BertForSequenceClassification _network;
    private readonly BertTextEncoder _encoder;
    private readonly TextColumns _columns;

    internal BertTextClassificationModel(BertForSequenceClassification network, BertTextEncoder encoder, TextColumns columns)
        : base(network.Config.NumLabels)
    {
        _network = network;
        _encoder = encoder;
        _columns = columns;
    }

    /// <summary>The architecture (hidden size, layers, heads, labels, ...).</summary>
    public BertConfig Config => _network.Config;

    /// <summary>The most tokens per text (or pair), special tokens included; longer input is truncated.</summary>
    public int MaxLength => _encoder.MaxLength;

    /// <summary>Word pieces a truncated single text keeps from its end (head+tail truncation); 0 keeps the head only.</summary>
    public int TailTokens => _encoder.TailTokens;

    /// <summary>
    /// The most windows a long single text is read as; its class probabilities are the mean over them
    /// (<see cref="BertTextModel.Windows"/>). 1: one truncated sequence.
    /// </summary>
    public int Windows => _encoder.Windows;

    /// <summary>The WordPiece tokenizer the model was trained with.</summary>
    public BertTextTokenizer Tokenizer => _encoder.Tokenizer;

    internal BertTextEncoder Encoder => _encoder;

    /// <summary>Training only, never saved: the layer-wise learning-rate decay (<see cref="BertTextModel.LayerDecay"/>), or null.</summary>
    internal double? LayerDecay { get; init; }

    /// <summary>
    /// With <see cref="BertTextModel.LayerDecay"/> set for training, <c>decay^(L + 1 - layer)</c> (embeddings layer 0,
    /// encoder layer i layer i + 1, pooler and classifier L + 1); otherwise 1.
    /// </summary>
    public override double LearningRateScale(string parameterName) =>
        LayerDecay is double decay ? BertLayerDecay.Scale(parameterName, Config.NumHiddenLayers, decay) : 1.0;

    /// <inheritdoc />
    public override nn.Module Network => _network;

    /// <inheritdoc/>
    public override string? HeadModuleName => "classifier";

    /// <inheritdoc />
    public override IReadOnlyList<string> InputColumnNames => _columns.Names;

    /// <inheritdoc />
    public override void CheckInputSchema(DataViewSchema schema) => _columns.Check(schema);

    /// <inheritdoc />
    public override IBatchFeaturizer CreateFeaturizer(DataViewRow row) => new TextBatchFeaturizer<IReadOnlyList<BertEncoding>>(row, _columns, _encoder);

    /// <summary>
    /// Logits for input ids, token type ids and attention mask (length-bucketed in eval mode); with a fourth input
    /// (each window's row, from texts read as several windows), one row per text: the log of the mean of its windows'
    /// class probabilities.
    /// </summary>
    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        Tensor logits = ForwardSequences(inputs[0], inputs[1], inputs[2]);
        return inputs.Count > 3 ? MeanOverWindows(logits, inputs[3]) : logits;
    }

    // float64 so that a class's mean probability does not underflow to 0 before the log (an infinite loss).
    private static Tensor MeanOverWindows(Tensor logits, Tensor owners)
    {
        using var scope = NewDisposeScope();
        Tensor probabilities = nn.functional.softmax(logits.to(ScalarType.Float64), 1);
        Tensor counts = owners.bincount(null, 0);
        Tensor sums = zeros(counts.shape[0], logits.shape[1], ScalarType.Float64, logits.device).index_add_(0, owners, probabilities, TorchScalars.One);
        return sums.div(counts.unsqueeze(1)).log().to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private Tensor ForwardSequences(Tensor ids, Tensor types, Tensor mask)
    {
        long batch = ids.shape[0];
        if (_network.training || batch <= LengthBucketSize)
        {
            return _network.forward(ids, types, mask);
        }
        using var scope = NewDisposeScope();
        long[] lengths = mask.sum(1).cpu().data<long>().ToArray();
        long[] order = Enumerable.Range(0, (int)batch).OrderBy(i => lengths[i]).Select(i => (long)i).ToArray();
        var parts = new List<Tensor>();
        for (int start = 0; start < order.Length; start += LengthBucketSize)
        {
            long[] rows = order.AsSpan(start, Math.Min(LengthBucketSize, order.Length - start)).ToArray();
            long length = Math.Max(1, rows.Max(r => lengths[r]));
            Tensor index = tensor(rows, device: ids.device);
            Tensor Take(Tensor t) => t.index_select(0, index).narrow(1, 0, length);
            parts.Add(_network.forward(Take(ids), Take(types), Take(mask)));
        }
        // Row order[k] is at position k of the concatenation; put every row back at its place.
        var inverse = new long[batch];
        for (int k = 0; k < order.Length; k++)
        {
            inverse[order[k]] = k;
        }
        return cat(parts, 0).index_select(0, tensor(inverse, device: ids.device)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override void Save(Stream stream)
    {
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            _columns.Write(writer);
            writer.Write(MaxLength);
            writer.Write(TailTokens);
            writer.Write(Windows);
            writer.Write(Config.ToJson());
            writer.Write(Tokenizer.Settings.ToJson());
            using var vocabulary = new MemoryStream();
            Tokenizer.SaveVocabulary(vocabulary);
            writer.Write((int)vocabulary.Length);
            writer.Write(vocabulary.GetBuffer(), 0, (int)vocabulary.Length);
        }
        ModuleCheckpoint.Save(_network, stream);
    }

    /// <inheritdoc />
    public static BertTextClassificationModel Load(Stream stream)
    {
        TextColumns columns;
        int maxLength;
        int tailTokens = 0;
        int windows = 1;
        BertConfig config;
        BertTextTokenizer tokenizer;
        using (var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true))
        {
            int version = ReadFormatVersion(reader, new[] { 1, 2, FormatVersion }, "BERT classifier");
            columns = TextColumns.Read(reader);
            maxLength = reader.ReadInt32();
            if (version >= 2)
            {
                tailTokens = reader.ReadInt32();
                if (tailTokens < 0 || tailTokens > maxLength - 2)
                {
                    throw new InvalidDataException($"Saved BERT classifier has TailTokens {tailTokens} outside [0, {maxLength - 2}] for sequence length {maxLength}.");
                }
            }
            if (version >= 3)
            {
                windows = reader.ReadInt32();
                if (windows < 1 || (windows > 1 && (tailTokens > 0 || maxLength < 3)))
                {
                    throw new InvalidDataException(
                        $"Saved BERT classifier has Windows {windows} (TailTokens {tailTokens}, sequence length {maxLength}); windows must be at least 1, and more than 1 needs no tail and a length of at least 3.");
                }
            }
            config = BertConfig.FromJson(reader.ReadString(), "saved model configuration");
            BertTokenizerSettings settings = BertTokenizerSettings.FromJson(reader.ReadString());
            byte[] vocabulary = reader.ReadBytes(reader.ReadInt32());
            tokenizer = BertTextTokenizer.Create(new MemoryStream(vocabulary, writable: false), settings);
        }
        var network = new BertForSequenceClassification(config);
        try
        {
            ModuleCheckpoint.Load(network, stream, "BERT classifier weights");
            return new BertTextClassificationModel(network, new BertTextEncoder(tokenizer, maxLength, tailTokens, windows), columns);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}

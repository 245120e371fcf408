using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// One fit of a BERT classifier: the tokenizer and sequence length settled from the checkpoint (or configuration and
/// vocabulary) at the start of the fit, and how the network is built for the data's classes.
/// </summary>
internal sealed class BertClassificationFit : TextClassificationFit<IReadOnlyList<BertEncoding>>
{
    private readonly BertTextEncoder _encoder;
    private readonly Func<IReadOnlyList<string>, Action<string>, BertForSequenceClassification> _createNetwork;
    private readonly Action<IReadOnlyList<string>>? _checkWeights;
    private readonly bool _groupByLength;
    private readonly double? _layerDecay;

    /// <param name="options">The trainer's options (columns, label).</param>
    /// <param name="encoder">The tokenizer and sequence length.</param>
    /// <param name="modelName">Names the model in the log.</param>
    /// <param name="createNetwork">Builds the network for the class names, logging notable events.</param>
    /// <param name="model">The BERT settings the fit copies (length grouping, layer decay).</param>
    /// <param name="checkWeights">Checks the starting weights against the network for the class names before any text is
    /// read; null when there is nothing to check.</param>
    public BertClassificationFit(TextClassificationTrainerOptions options, BertTextEncoder encoder, string modelName,
        Func<IReadOnlyList<string>, Action<string>, BertForSequenceClassification> createNetwork, BertTextModel model,
        Action<IReadOnlyList<string>>? checkWeights = null)
        : base(options, encoder, modelName)
    {
        _encoder = encoder;
        _createNetwork = createNetwork;
        _checkWeights = checkWeights;
        _groupByLength = model.GroupByLength;
        _layerDecay = model.LayerDecay;
    }

    protected override Func<IReadOnlyList<BertEncoding>, int>? GroupingLength => _groupByLength ? static row => row.Max(window => window.Length) : null;

    /// <summary>A text read as several windows trains as that many rows, each window labelled with the text's class.</summary>
    protected override Func<IReadOnlyList<BertEncoding>, IEnumerable<IReadOnlyList<BertEncoding>>>? TrainingRows =>
        _encoder.Windows > 1 ? static row => row.Select(window => (IReadOnlyList<BertEncoding>)new[] { window }) : null;

    protected internal override void CheckStartingWeights(LabelKeyInfo labels, IChannel channel) => _checkWeights?.Invoke(ClassNames(labels));

    protected override TorchClassificationModel CreateTextModel(LabelKeyInfo labels, IChannel channel)
    {
        BertForSequenceClassification network = _createNetwork(ClassNames(labels), message => channel.Info(MessageSensitivity.None, message));
        return new BertTextClassificationModel(network, _encoder, Columns) { LayerDecay = _layerDecay };
    }

    /// <summary>The config's <c>id2label</c>: the key values, or LABEL_i where there are none.</summary>
    private static string[] ClassNames(LabelKeyInfo labels) => Enumerable.Range(0, labels.ClassCount)
        .Select(i => labels.KeyValues?[i] is { Length: > 0 } name ? name : $"LABEL_{i}").ToArray();
}

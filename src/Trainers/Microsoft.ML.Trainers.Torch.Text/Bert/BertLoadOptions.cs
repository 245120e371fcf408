using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>How <see cref="BertCheckpoint.Load"/> builds the classifier from a checkpoint folder.</summary>
public sealed class BertLoadOptions
{
    /// <summary>
    /// Class names for the head, whose size is their count. Null keeps the checkpoint's
    /// <c>id2label</c>/<c>num_labels</c>. A checkpoint head of another size is replaced by a fresh one.
    /// </summary>
    public IReadOnlyList<string>? Labels { get; set; }

    /// <summary>Overrides every dropout probability (hidden, attention, classifier); null keeps <c>config.json</c>'s.</summary>
    public double? Dropout { get; set; }

    /// <summary>How the classifier pools the final hidden states; null keeps the configuration's (<c>classifier_pooling</c>, else <see cref="BertPooling.Pooler"/>).</summary>
    public BertPooling? Pooling { get; set; }

    /// <summary>Freeze the embeddings and transformer layers; only the pooler and classifier train.</summary>
    public bool FreezeEncoder { get; set; }

    /// <summary>Random source for weights the checkpoint lacks (classifier, pooler); null uses TorchSharp's global generator.</summary>
    public Generator? Generator { get; set; }

    /// <summary>Receives one line per notable event (head re-initialised, tensors ignored); null discards them.</summary>
    public Action<string>? Log { get; set; }
}

using System;
using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>How <see cref="ModuleCheckpoint.Load(TorchSharp.torch.nn.Module, string, CheckpointLoadOptions?)"/> matches a checkpoint to a module.</summary>
public sealed class CheckpointLoadOptions
{
    /// <summary>
    /// Name prefixes to leave alone on both sides: checkpoint tensors under them are not loaded and module
    /// tensors under them keep their current values. For example <c>fc.</c> to fine-tune a torchvision ResNet
    /// checkpoint on a different number of classes (the new head keeps its fresh initialisation).
    /// </summary>
    public IReadOnlyList<string> IgnorePrefixes { get; init; } = Array.Empty<string>();

    /// <summary>When true, module tensors absent from the checkpoint keep their values instead of failing the load.</summary>
    public bool AllowMissing { get; init; }

    /// <summary>When true, checkpoint tensors the module does not have are skipped instead of failing the load.</summary>
    public bool AllowUnexpected { get; init; }

    /// <summary>True when <paramref name="name"/> starts with one of <see cref="IgnorePrefixes"/>.</summary>
    public bool IsIgnored(string name)
    {
        foreach (string prefix in IgnorePrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}

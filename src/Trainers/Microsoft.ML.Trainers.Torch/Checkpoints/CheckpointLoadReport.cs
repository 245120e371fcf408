using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>What <see cref="ModuleCheckpoint"/> loaded, so callers can log it (for example a re-initialised head).</summary>
public sealed class CheckpointLoadReport
{
    internal CheckpointLoadReport(string source, IReadOnlyList<string> loaded, IReadOnlyList<string> ignored,
        IReadOnlyList<string> notLoaded, IReadOnlyList<string> unexpected)
    {
        Source = source;
        Loaded = loaded;
        Ignored = ignored;
        NotLoaded = notLoaded;
        Unexpected = unexpected;
    }

    /// <summary>The checkpoint's file name or stream name.</summary>
    public string Source { get; }

    /// <summary>Module tensors whose values now come from the checkpoint.</summary>
    public IReadOnlyList<string> Loaded { get; }

    /// <summary>Checkpoint tensors skipped because they match <see cref="CheckpointLoadOptions.IgnorePrefixes"/>.</summary>
    public IReadOnlyList<string> Ignored { get; }

    /// <summary>Module tensors that kept their values: ignored by prefix, or missing with <see cref="CheckpointLoadOptions.AllowMissing"/>.</summary>
    public IReadOnlyList<string> NotLoaded { get; }

    /// <summary>Checkpoint tensors the module lacks, skipped with <see cref="CheckpointLoadOptions.AllowUnexpected"/>.</summary>
    public IReadOnlyList<string> Unexpected { get; }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// A checkpoint's tensors do not match a module's parameters and buffers: some are missing, unexpected,
/// or differently shaped. The message names the checkpoint and every offending tensor with both shapes.
/// Thrown before any value is copied, so the module is left unchanged.
/// </summary>
public sealed class CheckpointMismatchException : InvalidOperationException
{
    private const int MaxNamesInMessage = 20;

    /// <summary>Creates the exception; the message is built from the lists.</summary>
    /// <param name="source">The checkpoint's file or stream name.</param>
    /// <param name="missing">Module tensors the checkpoint lacks.</param>
    /// <param name="unexpected">Checkpoint tensors the module lacks.</param>
    /// <param name="shapeMismatches">Tensors whose shapes differ.</param>
    public CheckpointMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<TensorShapeMismatch> shapeMismatches)
        : base(BuildMessage(source, missing, unexpected, shapeMismatches))
    {
        Checkpoint = source;
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>The checkpoint's file or stream name.</summary>
    public string Checkpoint { get; }

    /// <summary>Module tensors the checkpoint lacks.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Checkpoint tensors the module lacks.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Tensors whose shapes differ.</summary>
    public IReadOnlyList<TensorShapeMismatch> ShapeMismatches { get; }

    private static string BuildMessage(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<TensorShapeMismatch> shapeMismatches)
    {
        var text = new StringBuilder($"Checkpoint '{source}' does not match the model.");
        if (shapeMismatches.Count > 0)
        {
            text.Append(" Shape mismatch: ").Append(List(shapeMismatches.Select(m => m.ToString()).ToList())).Append('.');
        }
        if (missing.Count > 0)
        {
            text.Append(" Missing from the checkpoint: ").Append(List(missing.Select(n => $"'{n}'").ToList())).Append('.');
        }
        if (unexpected.Count > 0)
        {
            text.Append(" Not in the model: ").Append(List(unexpected.Select(n => $"'{n}'").ToList())).Append('.');
        }
        text.Append(" To load a checkpoint with a different head (for example another class count), ignore its prefix (such as 'fc.').");
        return text.ToString();
    }

    private static string List(IReadOnlyList<string> items)
    {
        string shown = string.Join(", ", items.Take(MaxNamesInMessage));
        return items.Count > MaxNamesInMessage ? $"{shown}, and {items.Count - MaxNamesInMessage} more" : shown;
    }
}

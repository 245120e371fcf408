using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Saves a TorchSharp module's state (parameters and persistent buffers, under PyTorch <c>state_dict</c> names)
/// as safetensors, and loads such a checkpoint back into a module with strict name and shape checks.
/// </summary>
/// <remarks>
/// Loading copies each checkpoint tensor into the module's existing tensor under <c>no_grad</c>, converting the
/// element type to the module's (a float16 checkpoint loads into a float32 model) and the device to the
/// module's. All names and shapes are checked before any value is copied, so a failed load leaves the module
/// unchanged. Tensors are read one at a time.
/// </remarks>
public static class ModuleCheckpoint
{
    /// <summary>Loads a safetensors checkpoint file into <paramref name="module"/>.</summary>
    /// <param name="module">The module whose parameters and buffers receive the values.</param>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="options">Prefixes to ignore and whether missing or unexpected tensors are allowed; null is strict.</param>
    /// <returns>What was loaded, ignored or left alone.</returns>
    /// <exception cref="CheckpointMismatchException">Names or shapes do not match (the message names the file and each tensor).</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors or is truncated.</exception>
    public static CheckpointLoadReport Load(nn.Module module, string path, CheckpointLoadOptions? options = null)
    {
        using var reader = new SafetensorsReader(path);
        return Load(module, reader, options);
    }

    /// <summary>Loads safetensors data from a stream (left open) into <paramref name="module"/>; forward-only streams work.</summary>
    /// <param name="module">The module whose parameters and buffers receive the values.</param>
    /// <param name="stream">The checkpoint data, starting at the current position.</param>
    /// <param name="sourceName">How error messages name the data.</param>
    /// <param name="options">Prefixes to ignore and whether missing or unexpected tensors are allowed; null is strict.</param>
    /// <returns>What was loaded, ignored or left alone.</returns>
    public static CheckpointLoadReport Load(nn.Module module, Stream stream, string? sourceName = null, CheckpointLoadOptions? options = null)
    {
        using var reader = new SafetensorsReader(stream, sourceName, leaveOpen: true);
        return Load(module, reader, options);
    }

    /// <summary>Loads the tensors of an open reader into <paramref name="module"/>.</summary>
    /// <param name="module">The module whose parameters and buffers receive the values.</param>
    /// <param name="reader">The checkpoint.</param>
    /// <param name="options">Prefixes to ignore and whether missing or unexpected tensors are allowed; null is strict.</param>
    /// <returns>What was loaded, ignored or left alone.</returns>
    public static CheckpointLoadReport Load(nn.Module module, SafetensorsReader reader, CheckpointLoadOptions? options = null)
    {
        LoadPlan plan = Plan(module, reader, options);
        using (no_grad())
        {
            // reader.Tensors is in file order, so a forward-only stream is read front to back.
            foreach ((SafetensorsTensorInfo info, Tensor target) in plan.ToLoad)
            {
                using DisposeScope scope = NewDisposeScope();
                Tensor value = reader.ReadTensor(info.Name);
                target.copy_(value);
            }
        }
        return new CheckpointLoadReport(reader.SourceName, plan.ToLoad.Select(t => t.Info.Name).ToList(), plan.Ignored, plan.NotLoaded, plan.Unexpected);
    }

    /// <summary>
    /// Checks that the checkpoint's names and shapes fit <paramref name="module"/> as <see cref="Load(nn.Module, SafetensorsReader, CheckpointLoadOptions?)"/>
    /// would, from the header alone (no tensor data is read), so a wrong file fails before a run reads its data.
    /// </summary>
    /// <param name="module">A module of the shape that will receive the values (its values are not changed).</param>
    /// <param name="reader">The checkpoint.</param>
    /// <param name="options">Prefixes to ignore and whether missing or unexpected tensors are allowed; null is strict.</param>
    /// <exception cref="CheckpointMismatchException">Names or shapes do not match (the message names the file and each tensor).</exception>
    public static void Check(nn.Module module, SafetensorsReader reader, CheckpointLoadOptions? options = null) => Plan(module, reader, options);

    private sealed record LoadPlan(List<(SafetensorsTensorInfo Info, Tensor Target)> ToLoad, List<string> Ignored, List<string> NotLoaded, List<string> Unexpected);

    /// <summary>Matches the checkpoint's tensors to the module's by name and shape; throws when they do not fit.</summary>
    private static LoadPlan Plan(nn.Module module, SafetensorsReader reader, CheckpointLoadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(reader);
        options ??= new CheckpointLoadOptions();

        Dictionary<string, Tensor> targets = StateTensors(module).ToDictionary(t => t.Name, t => t.Tensor, StringComparer.Ordinal);
        var toLoad = new List<(SafetensorsTensorInfo Info, Tensor Target)>();
        var ignored = new List<string>();
        var unexpected = new List<string>();
        var mismatches = new List<TensorShapeMismatch>();
        foreach (SafetensorsTensorInfo info in reader.Tensors)
        {
            if (options.IsIgnored(info.Name))
            {
                ignored.Add(info.Name);
            }
            else if (!targets.TryGetValue(info.Name, out Tensor? target))
            {
                unexpected.Add(info.Name);
            }
            else if (!target.shape.SequenceEqual(info.Shape))
            {
                mismatches.Add(new TensorShapeMismatch(info.Name, info.Shape, target.shape));
            }
            else
            {
                toLoad.Add((info, target));
            }
        }

        var notLoaded = new List<string>();
        var missing = new List<string>();
        foreach (string name in targets.Keys)
        {
            if (options.IsIgnored(name))
            {
                notLoaded.Add(name);
            }
            else if (!reader.Contains(name))
            {
                missing.Add(name);
            }
        }

        if (mismatches.Count > 0 || (missing.Count > 0 && !options.AllowMissing) || (unexpected.Count > 0 && !options.AllowUnexpected))
        {
            throw new CheckpointMismatchException(reader.SourceName,
                options.AllowMissing ? Array.Empty<string>() : missing,
                options.AllowUnexpected ? Array.Empty<string>() : unexpected,
                mismatches);
        }
        notLoaded.AddRange(missing);
        return new LoadPlan(toLoad, ignored, notLoaded, unexpected);
    }

    /// <summary>Saves the module's parameters and persistent buffers to a safetensors file.</summary>
    /// <param name="module">The module.</param>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="floatingPointDType">Element type to store floating-point tensors in (for example float16 to halve the size); null keeps each tensor's type.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> entries.</param>
    public static void Save(nn.Module module, string path, ScalarType? floatingPointDType = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        Save(module, file, floatingPointDType, metadata);
    }

    /// <summary>Saves the module's parameters and persistent buffers as safetensors to a stream (left open), such as an ML.NET model entry.</summary>
    /// <param name="module">The module.</param>
    /// <param name="stream">The destination.</param>
    /// <param name="floatingPointDType">Element type to store floating-point tensors in; null keeps each tensor's type.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> entries.</param>
    public static void Save(nn.Module module, Stream stream, ScalarType? floatingPointDType = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stream);
        SafetensorsWriter.Write(stream, StateTensors(module), metadata, floatingPointDType);
    }

    /// <summary>
    /// The module's parameters and persistent buffers under their <c>state_dict</c> names (parameters first, then
    /// buffers, each in registration order). The tensors are the module's own, not copies.
    /// </summary>
    public static IReadOnlyList<(string Name, Tensor Tensor)> StateTensors(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var result = new List<(string, Tensor)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, TorchSharp.Modules.Parameter p) in module.named_parameters())
        {
            if (seen.Add(name))
            {
                result.Add((name, p));
            }
        }
        foreach ((string name, Tensor b) in module.named_buffers(true, false))
        {
            if (seen.Add(name))
            {
                result.Add((name, b));
            }
        }
        return result;
    }
}

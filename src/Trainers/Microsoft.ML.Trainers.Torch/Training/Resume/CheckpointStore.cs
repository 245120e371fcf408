using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The checkpoint files of <see cref="TorchTrainerOptions.CheckpointFolder"/>: <c>checkpoint-{global step}.zip</c>.
/// A checkpoint is written to a temporary name, flushed to disk and renamed, so a file under the final name is always
/// complete; older checkpoints are deleted only after a newer one exists, keeping the newest
/// <see cref="TorchTrainerOptions.CheckpointsToKeep"/>.
/// </summary>
internal sealed class CheckpointStore
{
    private const string Prefix = "checkpoint-", Extension = ".zip", Temporary = ".tmp";

    private readonly string _folder;
    private readonly int _keep;

    public CheckpointStore(string folder, int keep)
    {
        _folder = Path.GetFullPath(folder);
        _keep = keep;
    }

    /// <summary>The newest checkpoint's path, or null when the folder has none.</summary>
    public string? Latest() => List().LastOrDefault().Path;

    /// <summary>Writes a checkpoint of global step <paramref name="globalStep"/> and prunes older ones.</summary>
    public string Save(long globalStep, LoopState state, IEnumerable<(string Name, Action<Stream> Write)> entries)
    {
        Directory.CreateDirectory(_folder);
        string path = Path.Combine(_folder, Prefix + globalStep.ToString("D10", CultureInfo.InvariantCulture) + Extension);
        string temporary = path + Temporary;
        // Left over from a run killed while writing: never a checkpoint, safe to replace.
        File.Delete(temporary);
        try
        {
            TrainingCheckpointFile.Write(temporary, state, entries);
            File.Move(temporary, path, overwrite: false);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        foreach ((string old, _) in List().SkipLast(_keep))
        {
            File.Delete(old);
        }
        foreach (string stale in Directory.EnumerateFiles(_folder, Prefix + "*" + Extension + Temporary))
        {
            File.Delete(stale);
        }
        return path;
    }

    private List<(string Path, long Step)> List()
    {
        if (!Directory.Exists(_folder))
        {
            return new List<(string, long)>();
        }
        var found = new List<(string Path, long Step)>();
        foreach (string path in Directory.EnumerateFiles(_folder, Prefix + "*" + Extension))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long step))
            {
                found.Add((path, step));
            }
        }
        return found.OrderBy(f => f.Step).ToList();
    }
}

using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The training loop's counters at a checkpoint (the JSON part of a <see cref="TrainingCheckpointFile"/>); the tensors
/// and the optimizer's state are separate entries. Random streams need no state: they are functions of the seed, the
/// epoch and the step (<see cref="RandomStreams"/>).
/// </summary>
internal sealed class LoopState
{
    public int FormatVersion { get; set; } = 1;

    public SortedDictionary<string, string> Fingerprint { get; set; } = new();

    /// <summary>The epoch in progress (1-based) and how many of its steps are done.</summary>
    public int Epoch { get; set; }

    public int StepInEpoch { get; set; }

    public int StepsPerEpoch { get; set; }

    public int[] Order { get; set; } = System.Array.Empty<int>();

    // The epoch's running sums, so its reported loss and accuracy are those of an uninterrupted run.
    public double LossSum { get; set; }

    public long Correct { get; set; }

    public int Seen { get; set; }

    public int Skipped { get; set; }

    public int SkippedInRun { get; set; }

    public long OptimizerSteps { get; set; }

    public int HessianRefreshes { get; set; }

    public long EmaUpdates { get; set; }

    public double BestScore { get; set; }

    public double BestLoss { get; set; }

    public int BestEpoch { get; set; }

    public int EpochsWithoutImprovement { get; set; }

    public List<EpochMetrics> History { get; set; } = new();

    /// <summary>SHA-256 of every other entry of the file, checked before anything is restored.</summary>
    public SortedDictionary<string, string> EntryHashes { get; set; } = new();
}

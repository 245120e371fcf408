namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>The outcome of <see cref="ResNetPretrained.Load(ResNet, string)"/>.</summary>
public sealed class ResNetPretrainedLoadResult
{
    internal ResNetPretrainedLoadResult(CheckpointLoadReport report, bool headReinitialized, int? checkpointClasses, string message)
    {
        Report = report;
        HeadReinitialized = headReinitialized;
        CheckpointClasses = checkpointClasses;
        Message = message;
    }

    /// <summary>Which tensors were loaded, ignored or left alone.</summary>
    public CheckpointLoadReport Report { get; }

    /// <summary>True when the checkpoint's classifier did not fit (another class count, or none) and <c>fc</c> was freshly initialised.</summary>
    public bool HeadReinitialized { get; }

    /// <summary>The class count of the checkpoint's classifier, or null when it has none.</summary>
    public int? CheckpointClasses { get; }

    /// <summary>A one-line description for the training log.</summary>
    public string Message { get; }
}

using System.Collections.Generic;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>A tensor present in both a checkpoint and a module with different shapes.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="CheckpointShape">Its shape in the checkpoint.</param>
/// <param name="ModuleShape">Its shape in the module.</param>
public sealed record TensorShapeMismatch(string Name, IReadOnlyList<long> CheckpointShape, IReadOnlyList<long> ModuleShape)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"'{Name}': checkpoint {SafetensorsTensorInfo.FormatShape(CheckpointShape)} vs module {SafetensorsTensorInfo.FormatShape(ModuleShape)}";
}

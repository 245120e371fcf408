using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Reads a model's input columns from the current row of the cursor it was created for, and
/// collects them into batched input tensors.
/// </summary>
public interface IBatchFeaturizer
{
    /// <summary>Rows added since the last <see cref="TakeBatch"/>.</summary>
    int Count { get; }

    /// <summary>Reads the inputs of the current row; <paramref name="rowIndex"/> is used in error messages.</summary>
    void Add(long rowIndex);

    /// <summary>Returns the collected rows as input tensors (CPU) and starts a new batch.</summary>
    IReadOnlyList<Tensor> TakeBatch();
}

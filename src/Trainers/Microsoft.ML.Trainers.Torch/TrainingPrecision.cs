namespace Microsoft.ML.Trainers.Torch;

/// <summary>The number format the network computes in while it trains (see <see cref="TorchTrainerOptions.Precision"/>).</summary>
public enum TrainingPrecision
{
    /// <summary>Everything in float32.</summary>
    Float32 = 0,

    /// <summary>
    /// Forward and backward passes in bfloat16 on a working copy of the network; the optimizer steps float32 master
    /// weights, normalization layers (batch, layer, group and instance norm) stay float32, and the loss is computed in
    /// float32. The per-epoch validation also runs in bfloat16 (it picks the best epoch); the trained model is float32
    /// with the master weights, so saving and scoring are unchanged. Much faster on CPUs with bfloat16 instructions
    /// (AVX512-BF16, AMX) and on recent GPUs, and may be slower than float32 on CPUs without them; accuracy usually
    /// matches float32.
    /// </summary>
    MixedBFloat16 = 1,
}

using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Modules;

/// <summary>
/// Batch normalization with PyTorch's <c>BatchNorm1d</c>/<c>BatchNorm2d</c> semantics, parameters and state-dict names,
/// safe to train for hours. TorchSharp's own <c>BatchNorm.forward</c> counts batches with
/// <c>num_batches_tracked.add_(1)</c>, which makes two temporary <see cref="Scalar"/>s (the 1 and the alpha) that nothing
/// keeps alive during the native call: a garbage collection at that moment can free them while libtorch reads them,
/// which surfaced as rare "Expected false to be true" errors and one segfault in long grids of ResNet runs. This module
/// counts with a process-lifetime scalar instead; everything else is libtorch's <c>batch_norm</c>.
/// </summary>
public sealed class GcSafeBatchNorm : BatchNorm
{
    private readonly int[] _inputRanks;

    private GcSafeBatchNorm(long features, double eps, double momentum, int[] inputRanks, string name)
        : base(features, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, name)
    {
        _inputRanks = inputRanks;
    }

    /// <summary>Normalizes N × C or N × C × L inputs over C features, as <c>torch.nn.BatchNorm1d</c>.</summary>
    public static GcSafeBatchNorm For1d(long features, double eps = 1e-5, double momentum = 0.1)
        => new(features, eps, momentum, new[] { 2, 3 }, "BatchNorm1d");

    /// <summary>Normalizes N × C × H × W inputs over C channels, as <c>torch.nn.BatchNorm2d</c>.</summary>
    public static GcSafeBatchNorm For2d(long features, double eps = 1e-5, double momentum = 0.1)
        => new(features, eps, momentum, new[] { 4 }, "BatchNorm2d");

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        double averagingFactor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is not null)
        {
            num_batches_tracked.add_(TorchScalars.One, TorchScalars.One);
            if (momentum is null)
            {
                // PyTorch's cumulative moving average when momentum is None.
                averagingFactor = 1.0 / num_batches_tracked.item<long>();
            }
        }
        // As PyTorch: batch statistics in training, and in evaluation only when there are no running statistics.
        bool useBatchStatistics = training || (running_mean is null && running_var is null);
        bool passRunningStatistics = !training || track_running_stats;
        return nn.functional.batch_norm(input, passRunningStatistics ? running_mean : null, passRunningStatistics ? running_var : null,
            weight, bias, useBatchStatistics, averagingFactor, eps);
    }

    /// <inheritdoc/>
    protected override void ValidateInputDimensions(Tensor input)
    {
        if (Array.IndexOf(_inputRanks, (int)input.dim()) < 0)
        {
            throw new ArgumentException(
                $"{GetName()} expects a {string.Join(" or ", _inputRanks)}-dimensional input; got shape [{string.Join(", ", input.shape)}].");
        }
    }
}

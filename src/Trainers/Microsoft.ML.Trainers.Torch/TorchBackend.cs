using System;
using System.Threading;
using TorchSharp;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Checks once per process that a TorchSharp native backend can be loaded. The packages depend on the
/// managed TorchSharp package only, so the app must reference one backend; without one, TorchSharp's own
/// failure is a long load trace (or a DllNotFoundException deep inside a tensor call), so the trainers
/// and the model loader call this first and throw one message that says what to add.
/// </summary>
internal static class TorchBackend
{
    internal const string MissingBackendMessage =
        "No TorchSharp native backend could be loaded. The Microsoft.ML.Trainers.Torch packages depend on the managed " +
        "TorchSharp package only; the application must reference exactly one backend package: TorchSharp-cpu (any machine), " +
        "TorchSharp-cuda-linux (NVIDIA GPUs on Linux x64) or TorchSharp-cuda-windows (NVIDIA GPUs on Windows x64), " +
        "with the same version as TorchSharp. The inner exception has TorchSharp's load trace.";

    // Probing loads libtorch (hundreds of MB), so it runs once; a failure stays a failure for the process.
    private static readonly Lazy<Exception?> LoadFailure = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the three backend packages when none loads.</summary>
    public static void EnsureAvailable()
    {
        if (LoadFailure.Value is Exception failure)
        {
            throw new InvalidOperationException(MissingBackendMessage, failure);
        }
    }

    private static Exception? Probe()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        catch (Exception e) // any load failure (NotSupportedException, DllNotFoundException, ...) means no usable backend
        {
            return e;
        }
    }
}

using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>Turns the <c>Device</c> option into a TorchSharp device, failing early when it cannot be had.</summary>
internal static class TorchDevices
{
    public static Device Resolve(string name)
    {
        string value = (name ?? "").Trim().ToLowerInvariant();
        if (value == "cpu")
        {
            return CPU;
        }
        if (value == "auto")
        {
            return cuda.is_available() ? CUDA : CPU;
        }
        if (value == "cuda" || value.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
            {
                throw new ArgumentException(
                    $"Device '{name}' was requested but CUDA is not available. On a machine with an NVIDIA GPU, reference " +
                    "TorchSharp-cuda-linux or TorchSharp-cuda-windows instead of TorchSharp-cpu (in this repository: " +
                    "-p:TorchSharpBackend=cuda-linux or cuda-windows), or use Device = \"cpu\".", "Device");
            }
            return new Device(value);
        }
        throw new ArgumentException($"Device must be 'cpu', 'cuda', 'cuda:N' or 'auto' (was '{name}').", "Device");
    }
}

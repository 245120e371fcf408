using Microsoft.ML.Trainers.Torch;

namespace Microsoft.ML;

/// <summary>Cancellation of running training, for the TorchSharp trainers and ML.NET's own.</summary>
public static class MLContextCancellation
{
    /// <summary>
    /// Asks every trainer running under <paramref name="mlContext"/> to stop; the TorchSharp trainers
    /// throw <see cref="System.OperationCanceledException"/> before their next batch. ML.NET 5 keeps its own
    /// <c>MLContext.CancelExecution</c> internal; this makes it callable.
    /// </summary>
    public static void CancelExecution(this MLContext mlContext)
    {
        System.ArgumentNullException.ThrowIfNull(mlContext);
        MLNetBridge.Cancel(mlContext);
    }
}

using System;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Sets libtorch's intra-op thread count for the duration of a fit and restores it afterwards. libtorch keeps the setting
/// per thread (OpenMP) plus a process-wide default for new threads, so concurrent fits may each set their own; the value
/// from before the first of overlapping fits is the one restored when each ends (a fit must not restore another fit's
/// setting as the process default).
/// </summary>
internal sealed class TorchThreadScope : IDisposable
{
    private static readonly object Sync = new();
    private static int _active;
    private static int _original;

    private readonly bool _set;
    private bool _disposed;

    private TorchThreadScope(bool set) => _set = set;

    /// <summary>Uses <paramref name="threads"/> threads on this thread until disposed; null changes nothing.</summary>
    public static TorchThreadScope Enter(int? threads)
    {
        if (threads is not int count)
        {
            return new TorchThreadScope(false);
        }
        lock (Sync)
        {
            if (_active++ == 0)
            {
                _original = get_num_threads();
            }
            set_num_threads(count);
        }
        return new TorchThreadScope(true);
    }

    /// <summary>Restores the thread count from before the first overlapping scope.</summary>
    public void Dispose()
    {
        if (!_set || _disposed)
        {
            return;
        }
        _disposed = true;
        lock (Sync)
        {
            _active--;
            set_num_threads(_original);
        }
    }
}

using System;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// Storage identity of a tensor. TorchSharp 0.107 has no <c>Tensor.data_ptr()</c>; its <c>storage&lt;T&gt;()</c>
/// allocates a typed wrapper per call, too slow for a check made on every parameter at every step. The exported
/// native function it uses underneath is called directly instead (LibTorchSharp is already loaded by TorchSharp).
/// </summary>
internal static class NativeStorage
{
    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSStorage_data_ptr(IntPtr tensor);

    /// <summary>The address of the first element of the tensor's storage (not of the tensor itself).</summary>
    public static IntPtr BasePointer(torch.Tensor tensor)
    {
        IntPtr result = THSStorage_data_ptr(tensor.Handle);
        if (result == IntPtr.Zero)
        {
            torch.CheckForErrors();
        }
        return result;
    }

    /// <summary>
    /// True when <paramref name="tensor"/> is exactly the contiguous run of <paramref name="numel"/> elements of
    /// the storage at <paramref name="flatBase"/> starting at <paramref name="offset"/> (i.e. a view made by
    /// <c>flat.narrow(0, offset, numel).view(shape)</c> of a flat buffer with that storage).
    /// </summary>
    public static bool IsViewOf(torch.Tensor tensor, IntPtr flatBase, long offset, long numel)
    {
        return BasePointer(tensor) == flatBase
            && tensor.storage_offset() == offset
            && tensor.numel() == numel
            && tensor.is_contiguous();
    }
}

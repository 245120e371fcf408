using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// libtorch's fused optimizer kernels (<c>_fused_adam_</c>, <c>_fused_adamw_</c>, <c>_fused_sgd_</c>): one pass over
/// memory per step instead of one per operation. TorchSharp does not bind them, but TorchScript can call any ATen
/// operator, so each is reached through a one-line TorchScript function compiled once per process.
/// </summary>
/// <remarks>
/// Each kernel has its own compilation unit, so a libtorch that lacks one of them only loses that one.
/// A unit that fails to compile is remembered as unavailable and the optimizers use their portable path.
/// </remarks>
internal static class FusedKernels
{
    private const string AdamScript = @"
def step(params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor],
         max_exp_avg_sqs: List[Tensor], state_steps: List[Tensor], lr: float, beta1: float, beta2: float,
         weight_decay: float, eps: float, amsgrad: bool, maximize: bool):
    torch.OPNAME(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, lr=lr, beta1=beta1,
                 beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=amsgrad, maximize=maximize)
";

    private const string SgdScript = @"
def step(params: List[Tensor], grads: List[Tensor], momentum_buffers: List[Tensor], weight_decay: float,
         momentum: float, lr: float, dampening: float, nesterov: bool, maximize: bool, is_first_step: bool):
    torch._fused_sgd_(params, grads, momentum_buffers, weight_decay=weight_decay, momentum=momentum, lr=lr,
                      dampening=dampening, nesterov=nesterov, maximize=maximize, is_first_step=is_first_step)
";

    private static readonly Lazy<jit.CompilationUnit?> s_adam = new(() => TryCompile(AdamScript.Replace("OPNAME", "_fused_adam_")));
    private static readonly Lazy<jit.CompilationUnit?> s_adamW = new(() => TryCompile(AdamScript.Replace("OPNAME", "_fused_adamw_")));
    private static readonly Lazy<jit.CompilationUnit?> s_sgd = new(() => TryCompile(SgdScript));

    /// <summary>The Adam (coupled) or AdamW (decoupled) kernel, or null when libtorch does not provide it.</summary>
    public static jit.CompilationUnit? Adam(bool decoupled) => decoupled ? s_adamW.Value : s_adam.Value;

    /// <summary>The SGD kernel, or null when libtorch does not provide it.</summary>
    public static jit.CompilationUnit? Sgd => s_sgd.Value;

    /// <summary>Whether fused kernels can run on tensors of this type and device (libtorch has CPU and CUDA versions).</summary>
    public static bool Supports(ScalarType dtype, Device device) =>
        (device.type == DeviceType.CPU || device.type == DeviceType.CUDA)
        && dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;

    private static jit.CompilationUnit? TryCompile(string script)
    {
        try
        {
            return jit.compile(script);
        }
        catch (Exception)
        {
            // An older or trimmed libtorch without the operator: the portable path takes over.
            return null;
        }
    }
}

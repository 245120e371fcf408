using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Mixed bfloat16 training (<see cref="TrainingPrecision.MixedBFloat16"/>). The network itself becomes the bfloat16
/// working copy that runs forward and backward; the optimizer steps float32 master copies of its trainable
/// parameters instead. After backward, the working gradients are copied (widened) into the masters' gradients, so
/// clipping, weight decay and the schedule all act on float32; after each step the masters are copied (rounded) back
/// into the working parameters. <see cref="Finish"/> turns the network back into float32 holding the master weights,
/// so the trained model saves and scores exactly like a float32-trained one.
/// </summary>
/// <remarks>
/// Normalization layers (batch, layer, group and instance norm) stay float32 throughout: libtorch runs them on
/// bfloat16 input with float32 weights and statistics, and bfloat16 running statistics (8 significant bits) would make
/// eval-mode outputs drift. Their parameters are already float32, so the optimizer steps them directly.
/// </remarks>
internal sealed class MixedPrecisionTraining : IDisposable
{
    private const ScalarType Working = ScalarType.BFloat16;

    private readonly nn.Module _network;
    private readonly List<(string Name, Parameter Master, Parameter Working)> _pairs = new();
    // Float32 copies of floating state that no optimizer updates (frozen parameters, buffers outside normalization
    // layers): the round trip through bfloat16 would otherwise lose their low bits.
    private readonly Dictionary<string, Tensor> _untrained = new();
    private bool _finished;

    /// <summary>Converts <paramref name="network"/> to its bfloat16 working form and creates the float32 masters.</summary>
    /// <param name="network">The float32 network, already on its training device.</param>
    /// <param name="trainable">The parameters to train, by name, as <c>named_parameters()</c> reports them.</param>
    public MixedPrecisionTraining(nn.Module network, IReadOnlyList<(string name, Parameter parameter)> trainable)
    {
        _network = network;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        string[] normPrefixes = network.named_modules().Where(m => IsNormalization(m.module) && m.name.Length > 0).Select(m => m.name + ".").ToArray();
        bool InNorm(string name) => normPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
        var trainableNames = new HashSet<string>(trainable.Select(t => t.name));

        var masters = new Dictionary<string, Parameter>();
        foreach ((string name, Parameter p) in trainable)
        {
            if (!InNorm(name) && is_floating_point(p))
            {
                var master = new Parameter(p.detach().to(ScalarType.Float32, copy: true), requires_grad: true);
                master.DetachFromDisposeScope();
                masters[name] = master;
            }
        }
        var normState = new Dictionary<string, Tensor>();
        foreach ((string name, Tensor value) in ModuleState.Unique(network))
        {
            if (!is_floating_point(value))
            {
                continue;
            }
            if (InNorm(name))
            {
                normState[name] = value.detach().clone();
            }
            else if (!trainableNames.Contains(name))
            {
                _untrained[name] = value.detach().to(ScalarType.Float32, copy: true).DetachFromDisposeScope();
            }
        }

        network.to(Working);
        // Back to float32 with the exact values saved above, not the bfloat16-rounded ones.
        foreach ((string prefix, nn.Module module) in network.named_modules().Where(m => IsNormalization(m.module) && m.name.Length > 0))
        {
            module.to(ScalarType.Float32);
            foreach ((string name, Tensor value) in module.state_dict())
            {
                if (normState.TryGetValue(prefix + "." + name, out Tensor? exact))
                {
                    value.copy_(exact);
                }
            }
        }

        Dictionary<string, Parameter> current = network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        OptimizedParameters = new List<(string name, Parameter parameter)>(trainable.Count);
        foreach ((string name, _) in trainable)
        {
            if (masters.TryGetValue(name, out Parameter? master))
            {
                _pairs.Add((name, master, current[name]));
                OptimizedParameters.Add((name, master));
            }
            else
            {
                OptimizedParameters.Add((name, current[name]));
            }
        }
    }

    /// <summary>
    /// The parameters the optimizer should step, in the order given to the constructor: the float32 masters, and the
    /// normalization layers' own float32 parameters.
    /// </summary>
    public List<(string name, Parameter parameter)> OptimizedParameters { get; }

    /// <summary>
    /// Floating-point inputs cast to bfloat16 (token ids and other integer inputs pass through); unchanged once the
    /// network is float32 again.
    /// </summary>
    public IReadOnlyList<Tensor> CastInputs(IReadOnlyList<Tensor> inputs)
        => _finished ? inputs : inputs.Select(t => is_floating_point(t) && t.dtype != Working ? t.to(Working) : t).ToArray();

    /// <summary>
    /// After backward: copies each working gradient into its master's gradient (float32) and zeroes the working one,
    /// so the next backward starts clean. A master without a gradient gets a new one, which the optimizer adopts.
    /// </summary>
    public void CopyGradientsToMasters()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach ((_, Parameter master, Parameter working) in _pairs)
        {
            Tensor? grad = working.grad;
            if (grad is null)
            {
                continue;
            }
            Tensor? masterGrad = master.grad;
            if (masterGrad is null)
            {
                master.grad = grad.to(ScalarType.Float32, copy: true);
            }
            else
            {
                masterGrad.copy_(grad);
            }
            grad.zero_();
        }
    }

    /// <summary>After the optimizer step: rounds the updated masters into the bfloat16 working parameters.</summary>
    public void CopyMastersToWorking()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach ((_, Parameter master, Parameter working) in _pairs)
        {
            working.copy_(master);
        }
    }

    /// <summary>
    /// A float32 copy of the network's state as the masters hold it (the state to restore the best epoch from, after
    /// <see cref="Finish"/>). The caller owns the tensors.
    /// </summary>
    public Dictionary<string, Tensor> Snapshot()
    {
        using var noGrad = no_grad();
        var masters = _pairs.ToDictionary(p => p.Name, p => p.Master);
        var copy = new Dictionary<string, Tensor>();
        foreach ((string name, Tensor value) in ModuleState.Unique(_network))
        {
            Tensor source = masters.TryGetValue(name, out Parameter? master) ? master : _untrained.TryGetValue(name, out Tensor? exact) ? exact : value;
            copy[name] = (is_floating_point(source) ? source.detach().to(ScalarType.Float32, copy: true) : source.detach().clone()).DetachFromDisposeScope();
        }
        return copy;
    }

    /// <summary>
    /// Restores the masters and the exact float32 state from a <see cref="Snapshot"/> (resuming a run); the working
    /// network's own state is restored separately, as it was saved.
    /// </summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> snapshot)
    {
        using var noGrad = no_grad();
        foreach ((string name, Parameter master, _) in _pairs)
        {
            master.copy_(snapshot[name]);
        }
        foreach ((string name, Tensor exact) in _untrained)
        {
            exact.copy_(snapshot[name]);
        }
    }

    /// <summary>Turns the network back into float32 holding the master weights; training must not step after this.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _network.to(ScalarType.Float32);
        Dictionary<string, Parameter> current = _network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach ((string name, Parameter master, _) in _pairs)
        {
            current[name].copy_(master);
        }
        foreach ((string name, Tensor value) in ModuleState.Unique(_network))
        {
            if (_untrained.TryGetValue(name, out Tensor? exact))
            {
                value.copy_(exact);
            }
        }
    }

    /// <summary>Releases the masters and the saved float32 state.</summary>
    public void Dispose()
    {
        foreach ((_, Parameter master, _) in _pairs)
        {
            master.Dispose();
        }
        _pairs.Clear();
        foreach (Tensor t in _untrained.Values)
        {
            t.Dispose();
        }
        _untrained.Clear();
    }

    private static bool IsNormalization(nn.Module module) => module is NormBase or LayerNorm or GroupNorm;
}

using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// An exponential moving average of a network's weights, as timm's <c>--model-ema</c> (ModelEmaV3): after every
/// optimizer step each floating-point entry of the state (parameters and buffers such as BatchNorm's running
/// statistics) moves towards the model's, <c>ema = decay·ema + (1 − decay)·model</c>; integer buffers (BatchNorm's
/// batch counter) are copied. The average is kept in float32 whatever precision the training runs in.
/// With warmup the decay of update <c>t</c> (0-based) is <c>min(decay, (1 + t) / (10 + t))</c>, so the early average
/// follows the fast-moving weights instead of the random initialisation.
/// </summary>
internal sealed class ModelEma : IDisposable
{
    private readonly Dictionary<string, Tensor> _average = new();
    private readonly double _decay;
    private readonly bool _warmup;

    /// <param name="state">The model's state to start from (copied).</param>
    /// <param name="decay">The decay, in [0, 1).</param>
    /// <param name="warmup">Ramp the decay up over the first updates.</param>
    public ModelEma(IEnumerable<(string name, Tensor value)> state, double decay, bool warmup)
    {
        if (!double.IsFinite(decay) || decay < 0 || decay >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(decay), $"The EMA decay must be in [0, 1) (was {decay}).");
        }
        _decay = decay;
        _warmup = warmup;
        using var noGrad = no_grad();
        foreach ((string name, Tensor value) in state)
        {
            _average[name] = (is_floating_point(value) ? value.detach().to(ScalarType.Float32, copy: true) : value.detach().clone()).DetachFromDisposeScope();
        }
    }

    /// <summary>The number of updates applied so far.</summary>
    public long Updates { get; private set; }

    /// <summary>The decay the next update uses.</summary>
    public double NextDecay => _warmup ? Math.Min(_decay, (1.0 + Updates) / (10.0 + Updates)) : _decay;

    /// <summary>Moves the average towards <paramref name="state"/> (the model after an optimizer step).</summary>
    public void Update(IEnumerable<(string name, Tensor value)> state)
    {
        double decay = NextDecay;
        using Scalar keep = decay.ToScalar();
        using Scalar weight = (1.0 - decay).ToScalar();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach ((string name, Tensor value) in state)
        {
            if (!_average.TryGetValue(name, out Tensor? average))
            {
                throw new InvalidOperationException($"The model's state entry '{name}' is not in the EMA (the network changed after the EMA was created).");
            }
            if (is_floating_point(average))
            {
                Tensor source = value.dtype == ScalarType.Float32 && value.device == average.device ? value.detach() : value.detach().to(ScalarType.Float32).to(average.device);
                // decay·ema + (1 − decay)·model; TorchSharp binds only lerp_'s tensor-weight overload.
                average.mul_(keep).add_(source, weight);
            }
            else
            {
                average.copy_(value);
            }
        }
        Updates++;
    }

    /// <summary>Writes the average into <paramref name="network"/> (in place, so optimizers aliasing the parameters keep working).</summary>
    public void CopyTo(nn.Module network)
    {
        using var noGrad = no_grad();
        foreach ((string name, Tensor value) in ModuleState.Unique(network))
        {
            value.copy_(_average[name]);
        }
    }

    /// <summary>A copy of the average; the caller owns the tensors.</summary>
    public Dictionary<string, Tensor> Snapshot()
    {
        using var noGrad = no_grad();
        var copy = new Dictionary<string, Tensor>();
        foreach ((string name, Tensor value) in _average)
        {
            copy[name] = value.clone().DetachFromDisposeScope();
        }
        return copy;
    }

    /// <summary>Restores an average saved with <see cref="Snapshot"/> after <paramref name="updates"/> updates (resuming a run).</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> saved, long updates)
    {
        using var noGrad = no_grad();
        foreach ((string name, Tensor value) in _average)
        {
            value.copy_(saved[name]);
        }
        Updates = updates;
    }

    /// <summary>Releases the averaged tensors.</summary>
    public void Dispose()
    {
        foreach (Tensor t in _average.Values)
        {
            t.Dispose();
        }
        _average.Clear();
    }
}

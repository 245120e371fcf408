using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// Freeze-then-unfreeze (<see cref="TorchTrainerOptions.FreezeBackboneEpochs"/>): the backbone's parameters stop
/// requiring gradients for the first epochs and get none, which the optimizer's no-gradient rule skips; afterwards
/// (and when training ends, however it ends) they require gradients again.
/// </summary>
internal sealed class BackboneFreezing : IDisposable
{
    private readonly IReadOnlyList<Parameter> _backbone;
    private readonly int _frozenEpochs;

    public BackboneFreezing(TorchClassificationModel model, int frozenEpochs)
    {
        _frozenEpochs = frozenEpochs;
        if (frozenEpochs <= 0)
        {
            _backbone = Array.Empty<Parameter>();
            return;
        }
        var names = model.BackboneParameterNames;
        if (names.Count == 0)
        {
            throw new InvalidOperationException(
                $"FreezeBackboneEpochs is {frozenEpochs} but the model ({model.GetType().Name}) names no backbone parameters to freeze.");
        }
        _backbone = model.Network.named_parameters().Where(p => names.Contains(p.name) && p.parameter.requires_grad).Select(p => p.parameter).ToList();
    }

    /// <summary>Whether the backbone is frozen in <paramref name="epoch"/> (1-based).</summary>
    public bool IsFrozen(int epoch) => epoch <= _frozenEpochs && _backbone.Count > 0;

    /// <summary>Freezes or unfreezes the backbone for <paramref name="epoch"/>.</summary>
    public void Apply(int epoch)
    {
        bool trains = !IsFrozen(epoch);
        foreach (Parameter p in _backbone)
        {
            p.requires_grad = trains;
        }
    }

    /// <summary>Makes the backbone trainable again.</summary>
    public void Dispose()
    {
        foreach (Parameter p in _backbone)
        {
            p.requires_grad = true;
        }
    }
}

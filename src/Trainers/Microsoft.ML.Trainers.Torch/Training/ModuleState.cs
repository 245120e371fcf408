using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// A network's parameters and buffers, each tensor once. TorchSharp's <c>state_dict()</c> can list one tensor under two
/// names: a submodule registered as <c>query</c> but held in a field <c>_query</c> also appears as <c>_query</c> once
/// TorchSharp registers fields by their names. Code that saves, averages or restores state by name must see each tensor
/// once, under the name it was registered with (the first one), or a stale copy kept under the alias can overwrite the
/// trained weights.
/// </summary>
internal static class ModuleState
{
    /// <summary>The state entries of <paramref name="network"/>, aliases of an earlier entry left out.</summary>
    public static IEnumerable<(string Name, Tensor Value)> Unique(nn.Module network)
    {
        var seen = new HashSet<IntPtr>();
        foreach ((string name, Tensor value) in network.state_dict())
        {
            if (seen.Add(value.Handle))
            {
                yield return (name, value);
            }
        }
    }
}

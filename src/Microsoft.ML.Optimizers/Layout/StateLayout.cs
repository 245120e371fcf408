using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Optimizers;

/// <summary>One named per-parameter state buffer of an optimizer (PyTorch's <c>state[p]["exp_avg"]</c>), kept flat per bucket.</summary>
/// <param name="Index">Position in the optimizer's <see cref="StateLayout"/>.</param>
/// <param name="Name">PyTorch's name, e.g. "exp_avg"; <see cref="Optimizer.GetState"/> and checkpoints use it.</param>
/// <param name="ShapeOf">
/// The state's shape for a parameter shape, or null when a tensor of that shape has no such state (e.g. Adafactor's
/// factored row and column variances of a matrix, or the full variance of a vector). Absent: the parameter's own
/// shape, one value per parameter.
/// </param>
internal readonly record struct StateBuffer(int Index, string Name, Func<long[], long[]?>? ShapeOf = null);

/// <summary>The ordered state buffers an optimizer keeps per parameter (e.g. Adam: exp_avg, exp_avg_sq).</summary>
internal sealed class StateLayout
{
    private StateLayout(StateBuffer[] buffers)
    {
        Buffers = buffers;
        Names = buffers.Select(b => b.Name).ToArray();
    }

    /// <summary>The buffers, in index order.</summary>
    public IReadOnlyList<StateBuffer> Buffers { get; }

    /// <summary>The buffers' names, in index order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>A layout of <paramref name="buffers"/>, whose indices must be 0, 1, ... in order and names distinct.</summary>
    public static StateLayout Of(params StateBuffer[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            if (buffers[i].Index != i || Array.FindIndex(buffers, b => b.Name == buffers[i].Name) != i)
            {
                throw new InvalidOperationException($"State buffer '{buffers[i].Name}' is out of order or repeated in the layout.");
            }
        }
        return new StateLayout(buffers);
    }

    /// <summary>The buffer called <paramref name="name"/>, or null.</summary>
    public StateBuffer? Find(string name)
    {
        foreach (StateBuffer buffer in Buffers)
        {
            if (buffer.Name == name)
            {
                return buffer;
            }
        }
        return null;
    }
}

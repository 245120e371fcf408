namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>The optimizer families an <see cref="OptimizerExperiment{TOptions}"/> chooses among.</summary>
public enum OptimizerKind
{
    /// <summary>SGD with (optionally Nesterov) momentum and coupled L2 weight decay (<see cref="Microsoft.ML.Optimizers.SgdOptions"/>).</summary>
    SgdMomentum,

    /// <summary>Adam with decoupled weight decay (<see cref="Microsoft.ML.Optimizers.AdamWOptions"/>).</summary>
    AdamW,

    /// <summary>Classic Adam with weight decay coupled into the gradient as an L2 term (<see cref="Microsoft.ML.Optimizers.AdamOptions"/>).</summary>
    AdamL2,

    /// <summary>Lion (sign momentum) with decoupled weight decay (<see cref="Microsoft.ML.Optimizers.LionOptions"/>).</summary>
    Lion,
}

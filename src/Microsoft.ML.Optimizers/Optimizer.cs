using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Optimizers;

/// <summary>
/// An optimizer over TorchSharp parameters with PyTorch's semantics: <see cref="Step"/> updates every parameter that has
/// a gradient, using the hyperparameters and the <see cref="GroupUpdateRule"/> of its parameter group. Create one with
/// <see cref="OptimizerOptions.Create(IEnumerable{ParameterGroup})"/>.
/// </summary>
/// <remarks>
/// <para>
/// For speed, the optimizer packs each group's parameters (per dtype and device) into one contiguous buffer and makes
/// every parameter, and its gradient, a view of it: a step is a few large operations (or one fused libtorch kernel)
/// instead of dozens of small ones per tensor. Parameters therefore must not be moved to another device or type after
/// the optimizer is created. Gradients that stop being views (e.g. after <c>module.zero_grad()</c>, which sets them to
/// null so that backward allocates new ones) are detected and copied back in at the next step. A parameter can belong
/// to one live optimizer at a time (each points the parameters at its own buffer); dispose the old optimizer before
/// creating a new one over the same model. Groups with the <see cref="GroupUpdateRule.SparseSgd"/> rule are not packed:
/// their sparse gradients update the touched rows in place.
/// </para>
/// <para>
/// A tensor without a gradient in a step is skipped entirely, as in PyTorch: no weight decay, no state change, and its
/// own step count (used for bias correction) does not advance.
/// </para>
/// </remarks>
public abstract class Optimizer : IDisposable
{
    private readonly LiveParameterGroup[] _groups;
    private readonly FlatBucket[] _buckets;
    private readonly SparseSgdGroup[] _sparseGroups;
    private readonly Slot[] _slots;
    private readonly Dictionary<Parameter, (FlatBucket? Bucket, Slot Slot)> _byParameter;
    private readonly SortedDictionary<string, double>[] _groupState;
    private bool _disposed;

    private protected Optimizer(OptimizerOptions options, IReadOnlyList<LiveParameterGroup> groups, StateLayout stateLayout)
    {
        AlgorithmName = options.AlgorithmName;
        StateLayout = stateLayout;
        UseFusedKernels = options.UseFusedKernels;
        Maximize = options.Maximize;
        _groups = groups.ToArray();
        _groupState = _groups.Select(_ => new SortedDictionary<string, double>(StringComparer.Ordinal)).ToArray();
        _byParameter = new Dictionary<Parameter, (FlatBucket?, Slot)>(ReferenceEqualityComparer.Instance);

        // Per group: sparse-rule groups keep their parameters as they are; the others get one bucket per (dtype, device)
        // in order of first appearance. Indices follow PyTorch's state_dict numbering: groups in order, parameters in
        // order within a group.
        var buckets = new List<FlatBucket>();
        var sparseGroups = new List<SparseSgdGroup>();
        var slots = new List<Slot>();
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        int index = 0;
        try
        {
            for (int g = 0; g < _groups.Length; g++)
            {
                var byKind = new List<(ScalarType dtype, Device device, List<(Parameter, int)> members)>();
                var sparseSlots = new List<Slot>();
                foreach (Parameter p in _groups[g].Parameters)
                {
                    if (!seen.Add(p))
                    {
                        throw new ArgumentException($"Parameter #{index} appears more than once in the parameter groups.", nameof(groups));
                    }
                    if (!torch.is_floating_point(p.dtype))
                    {
                        throw new ArgumentException($"Parameter #{index} has type {p.dtype}; optimizers need floating-point parameters.", nameof(groups));
                    }
                    if (_groups[g].Rule == GroupUpdateRule.SparseSgd)
                    {
                        sparseSlots.Add(new Slot(p, index++, offset: 0));
                        continue;
                    }
                    Device device = p.device;
                    int k = byKind.FindIndex(e => e.dtype == p.dtype && e.device.type == device.type && e.device.index == device.index);
                    if (k < 0)
                    {
                        byKind.Add((p.dtype, device, new List<(Parameter, int)>()));
                        k = byKind.Count - 1;
                    }
                    byKind[k].members.Add((p, index++));
                }
                foreach ((ScalarType dtype, Device device, List<(Parameter, int)> members) in byKind)
                {
                    var bucket = new FlatBucket(g, dtype, device, members, stateLayout);
                    buckets.Add(bucket);
                    foreach (Slot slot in bucket.Slots)
                    {
                        _byParameter.Add(slot.Parameter, (bucket, slot));
                        slots.Add(slot);
                    }
                }
                if (sparseSlots.Count > 0)
                {
                    sparseGroups.Add(new SparseSgdGroup(g, sparseSlots));
                    foreach (Slot slot in sparseSlots)
                    {
                        _byParameter.Add(slot.Parameter, (null, slot));
                        slots.Add(slot);
                    }
                }
            }
        }
        catch
        {
            foreach (FlatBucket bucket in buckets)
            {
                bucket.Dispose();
            }
            throw;
        }
        _buckets = buckets.ToArray();
        _sparseGroups = sparseGroups.ToArray();
        _slots = slots.OrderBy(s => s.Index).ToArray();
    }

    /// <summary>The algorithm, e.g. "AdamW" (see <see cref="OptimizerOptions.AlgorithmName"/>).</summary>
    public string AlgorithmName { get; }

    /// <summary>The optimizer's parameter groups with their live hyperparameters (PyTorch's <c>param_groups</c>).</summary>
    public IReadOnlyList<LiveParameterGroup> ParameterGroups => _groups;

    /// <summary>The number of completed <see cref="Step"/> calls.</summary>
    public long StepCount { get; internal set; }

    /// <summary>
    /// The learning rate of group 0. Setting it rescales every group in proportion, as a PyTorch scheduler would:
    /// group <c>i</c> gets <c>InitialLearningRate[i] * value / InitialLearningRate[0]</c> (every group gets
    /// <c>value</c> when group 0's initial rate is 0).
    /// </summary>
    public double LearningRate
    {
        get => _groups[0].LearningRate;
        set
        {
            Check.NonNegative(value, nameof(LearningRate));
            double base0 = _groups[0].InitialLearningRate;
            for (int i = 0; i < _groups.Length; i++)
            {
                _groups[i].LearningRate = i == 0 || base0 == 0 ? value : _groups[i].InitialLearningRate * (value / base0);
            }
        }
    }

    /// <summary>Names of the per-parameter state tensors, as in PyTorch's <c>state_dict()</c> (e.g. "exp_avg").</summary>
    public IReadOnlyList<string> StateNames => StateLayout.Names;

    /// <summary>
    /// Whether steps run libtorch's fused kernels (for every parameter type and device this optimizer holds) rather than
    /// only the portable path. False when <see cref="OptimizerOptions.UseFusedKernels"/> was off or no kernel applies.
    /// </summary>
    public bool UsesFusedKernels => _buckets.All(b => RunsFusedKernel(b, _groups[b.GroupIndex]));

    /// <summary>The named state buffers each packed parameter has.</summary>
    internal StateLayout StateLayout { get; }

    /// <summary>The flat buckets of the groups updated by the optimizer's own algorithm.</summary>
    internal IReadOnlyList<FlatBucket> Buckets => _buckets;

    /// <summary>Every parameter's bookkeeping, in state-index order (sparse-rule parameters included).</summary>
    internal IReadOnlyList<Slot> Slots => _slots;

    private protected bool UseFusedKernels { get; set; }

    private protected bool Maximize { get; }

    /// <summary>Updates every parameter that has a gradient, then advances <see cref="StepCount"/>.</summary>
    public void Step()
    {
        ThrowIfDisposed();
        using (DisposeScope scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            PrepareStep();
            foreach (FlatBucket bucket in _buckets)
            {
                if (bucket.GatherGrads() == 0)
                {
                    continue;
                }
                LiveParameterGroup group = _groups[bucket.GroupIndex];
                UpdateBucket(bucket, group);
                bool createsState = CreatesState(group);
                foreach (Slot slot in bucket.Slots)
                {
                    if (slot.HasGrad)
                    {
                        slot.Steps++;
                        slot.HasState |= createsState;
                    }
                }
            }
            foreach (SparseSgdGroup sparse in _sparseGroups)
            {
                sparse.Step(_groups[sparse.GroupIndex], Maximize);
            }
        }
        StepCount++;
    }

    /// <summary>
    /// Zeroes the gradients of all parameters in one operation per buffer, keeping them allocated (PyTorch's
    /// <c>zero_grad(set_to_none=False)</c>); with <paramref name="setToNone"/>, sets them to null instead (PyTorch's default).
    /// Sparse gradients (<see cref="GroupUpdateRule.SparseSgd"/> groups) always become null: the next backward makes new ones.
    /// </summary>
    /// <param name="setToNone">
    /// False (default): gradients become zero and stay views of the optimizer's buffer, the fastest loop; every parameter
    /// then has a gradient at the next step, so none is skipped. True: gradients become null, so a parameter that the
    /// next backward pass does not reach is skipped by the next step, at the cost of a copy per gradient.
    /// </param>
    public void ZeroGrad(bool setToNone = false)
    {
        ThrowIfDisposed();
        using DisposeScope scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (FlatBucket bucket in _buckets)
        {
            if (setToNone)
            {
                bucket.ClearGrads();
            }
            else
            {
                bucket.ZeroGrads();
            }
        }
        foreach (SparseSgdGroup sparse in _sparseGroups)
        {
            sparse.ClearGrads();
        }
    }

    /// <summary>
    /// Clips gradients by their global L2 norm, with PyTorch's <c>clip_grad_norm_</c> semantics: the norm is taken over
    /// all gradients together (accumulated in float64), and every gradient is multiplied by
    /// <c>min(1, maxNorm / (norm + 1e-6))</c>. Sparse-rule groups take no part (their gradients are neither counted nor scaled).
    /// </summary>
    /// <param name="maxNorm">The largest allowed norm (&gt;= 0; positive infinity only measures).</param>
    /// <returns>The total norm before clipping (0 when no parameter has a gradient).</returns>
    public double ClipGradNorm(double maxNorm)
    {
        ThrowIfDisposed();
        if (double.IsNaN(maxNorm) || maxNorm < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"maxNorm must be >= 0 (was {maxNorm}).");
        }
        using DisposeScope scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return GradientClipping.ClipByTotalNorm(_buckets, maxNorm);
    }

    /// <summary>How many steps <paramref name="parameter"/> has taken part in (PyTorch's per-tensor <c>step</c>).</summary>
    /// <param name="parameter">A parameter of this optimizer.</param>
    public long GetStepCount(Parameter parameter) => Find(parameter).Slot.Steps;

    /// <summary>
    /// A view of one state tensor of a parameter (e.g. "exp_avg"), shaped like the parameter, or null when that state
    /// does not exist yet (PyTorch creates state at a tensor's first step) or the parameter's group keeps none (sparse
    /// SGD). Dispose the returned handle; the state itself stays with the optimizer.
    /// </summary>
    /// <param name="parameter">A parameter of this optimizer.</param>
    /// <param name="name">One of <see cref="StateNames"/>.</param>
    public Tensor? GetState(Parameter parameter, string name)
    {
        ThrowIfDisposed();
        StateBuffer buffer = StateLayout.Find(name)
            ?? throw new ArgumentException($"{AlgorithmName} has no state '{name}'; it has: {string.Join(", ", StateNames)}.", nameof(name));
        (FlatBucket? bucket, Slot slot) = Find(parameter);
        Tensor? flat = bucket?.State(buffer);
        if (flat is null || !slot.HasState)
        {
            return null;
        }
        int position = 0;
        while (!ReferenceEquals(bucket!.Slots[position], slot))
        {
            position++;
        }
        return bucket.StateView(flat, buffer, position);
    }

    /// <summary>
    /// The group-level state the algorithm keeps for group <paramref name="group"/> (PyTorch keeps it in
    /// <c>param_groups</c>): e.g. LAMB's and Adan's <c>step</c>, Schedule-Free AdamW's <c>k</c>, <c>lr_max</c>,
    /// <c>weight_sum</c>, <c>scheduled_lr</c> and <c>train_mode</c> (1 or 0). Empty for algorithms without any.
    /// </summary>
    /// <param name="group">The index in <see cref="ParameterGroups"/>.</param>
    public IReadOnlyDictionary<string, double> GetGroupState(int group)
    {
        if (group < 0 || group >= _groups.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(group), group, $"group must be between 0 and {_groups.Length - 1} (was {group}).");
        }
        return _groupState[group];
    }

    /// <summary>
    /// Moves the parameters to the point a model should be evaluated, scored and saved at. Only optimizers whose
    /// training and evaluation points differ (Schedule-Free AdamW) change anything; for the others this does nothing,
    /// so a training loop can call it around every validation whatever the optimizer. Call
    /// <see cref="UseTrainingPoint"/> before the next <see cref="Step"/>.
    /// </summary>
    public virtual void UseEvaluationPoint()
    {
    }

    /// <summary>Moves the parameters back to the training point after <see cref="UseEvaluationPoint"/> (no-op when already there).</summary>
    public virtual void UseTrainingPoint()
    {
    }

    /// <summary>
    /// Writes the optimizer's state to <paramref name="stream"/> (PyTorch's <c>state_dict</c> as data: a header, then named
    /// entries): per-tensor state and step counts, <see cref="StepCount"/> and each group's current hyperparameters
    /// (learning rate, initial learning rate, weight decay, momentum/beta1). Parameter values are not included; save the
    /// model separately.
    /// </summary>
    /// <param name="stream">A writable stream; it is left open.</param>
    public void Save(Stream stream)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(stream);
        OptimizerCheckpoint.Save(this, stream);
    }

    /// <summary>
    /// Restores state written by <see cref="Save"/> from an optimizer of the same algorithm over parameters of the same
    /// shapes, types and grouping. Continuing from the restored state gives bit-identical results to never having stopped.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the checkpoint; it is left open.</param>
    /// <exception cref="InvalidDataException">The stream is not a checkpoint of a matching optimizer.</exception>
    public void Load(Stream stream)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(stream);
        OptimizerCheckpoint.Load(this, stream);
    }

    /// <summary>
    /// Restores the state written by <see cref="Save"/> (per-tensor state, step counts, group-level state) like
    /// <see cref="Load"/>, but keeps this optimizer's hyperparameters (learning rates, weight decay, momentum): a trained
    /// model's optimizer state continued under new settings, as when a fine-tune goes on with another learning rate.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the checkpoint; it is left open.</param>
    /// <exception cref="InvalidDataException">The stream is not a checkpoint of a matching optimizer.</exception>
    public void LoadState(Stream stream)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(stream);
        OptimizerCheckpoint.Load(this, stream, keepHyperparameters: true);
    }

    /// <summary>Releases the optimizer's buffers. Parameters keep their values (they hold their storage themselves).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the flat buffers and state.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (disposing)
        {
            foreach (FlatBucket bucket in _buckets)
            {
                bucket.Dispose();
            }
        }
    }

    /// <summary>
    /// Updates the slots of <paramref name="bucket"/> that have a gradient (<see cref="Slot.HasGrad"/>); the base then
    /// advances their step counts.
    /// </summary>
    private protected abstract void UpdateBucket(FlatBucket bucket, LiveParameterGroup group);

    /// <summary>
    /// Runs before any bucket is updated in a step, under <c>no_grad</c> (default: nothing). Optimizers whose update
    /// depends on all gradients together (LAMB's global gradient norm) compute it here.
    /// </summary>
    private protected virtual void PrepareStep()
    {
    }

    /// <summary>The mutable group-level state of group <paramref name="group"/> (see <see cref="GetGroupState"/>); checkpoints carry it.</summary>
    internal SortedDictionary<string, double> GroupStateOf(int group) => _groupState[group];

    /// <summary>A group-level state value, or <paramref name="missing"/> before the algorithm first set it.</summary>
    private protected double GroupState(int group, string name, double missing) =>
        _groupState[group].TryGetValue(name, out double value) ? value : missing;

    /// <summary>Whether a bucket's update can use a fused kernel (default: no).</summary>
    private protected virtual bool CanFuse(FlatBucket bucket) => false;

    /// <summary>
    /// Whether a bucket's steps run a libtorch fused kernel (default: <see cref="CanFuse"/>); optimizers that run one for
    /// part of their update (LAMB's moments, LARS's momentum step) say so themselves.
    /// </summary>
    private protected virtual bool RunsFusedKernel(FlatBucket bucket, LiveParameterGroup group) => CanFuse(bucket);

    /// <summary>Whether an update creates the tensors' state (default: yes; SGD without momentum keeps none).</summary>
    private protected virtual bool CreatesState(LiveParameterGroup group) => true;

    private (FlatBucket? Bucket, Slot Slot) Find(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (!_byParameter.TryGetValue(parameter, out var found))
        {
            throw new ArgumentException("The parameter does not belong to this optimizer.", nameof(parameter));
        }
        return found;
    }

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}

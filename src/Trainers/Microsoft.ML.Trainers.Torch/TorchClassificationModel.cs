using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// A classification network together with what it needs to turn rows of an <see cref="IDataView"/>
/// into input tensors. The image and text trainers each provide one; the engine trains, scores and
/// persists it.
/// </summary>
/// <remarks>
/// A concrete model must also implement <see cref="ILoadableClassificationModel{TSelf}"/> so that
/// <c>mlContext.Model.Load</c> can recreate it from the bytes written by <see cref="Save"/>.
/// </remarks>
public abstract class TorchClassificationModel : IDisposable
{
    private bool _disposed;

    /// <summary>Creates a model that predicts one of <paramref name="classCount"/> classes.</summary>
    protected TorchClassificationModel(int classCount)
    {
        if (classCount < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), $"A classifier needs at least 2 classes (was {classCount}).");
        }
        ClassCount = classCount;
    }

    /// <summary>The number of classes; the length of the Score vector.</summary>
    public int ClassCount { get; }

    /// <summary>The TorchSharp module whose parameters are trained.</summary>
    public abstract nn.Module Network { get; }

    /// <summary>The columns of the input data that the model reads.</summary>
    public abstract IReadOnlyList<string> InputColumnNames { get; }

    /// <summary>
    /// Names (as in <c>named_parameters()</c>) of parameters whose gradients are sparse, such as a hashed
    /// embedding table. The training loop puts them in a sparse-SGD parameter group of the same optimizer
    /// (<see cref="Microsoft.ML.Optimizers.GroupUpdateRule.SparseSgd"/>: plain SGD on the touched rows, at the trainer's
    /// sparse learning rate scaled by the schedule), since the chosen algorithm needs dense gradients. Empty for most models.
    /// </summary>
    public virtual IReadOnlyCollection<string> SparseGradientParameterNames => Array.Empty<string>();

    /// <summary>
    /// The name of the network's output layer (the classifier head, e.g. <c>fc</c>), or null if it has none to single out.
    /// With Muon, the training loop leaves the head's parameters to the AdamW fallback, as Muon's authors do.
    /// </summary>
    public virtual string? HeadModuleName => null;

    /// <summary>
    /// The factor on the optimizer's learning rate for the parameter named <paramref name="parameterName"/> (as in
    /// <c>named_parameters()</c>), e.g. layer-wise decay that trains lower layers of a pretrained network more slowly.
    /// The training loop gives each distinct factor its own parameter groups (split again into weight decay and none,
    /// when biases and norms take none); the schedule scales every group alike. 1 (the default) for all parameters keeps
    /// one rate.
    /// </summary>
    public virtual double LearningRateScale(string parameterName) => 1.0;

    /// <summary>
    /// Names (as in <c>named_parameters()</c>) of the pretrained feature extractor's parameters: everything outside
    /// <see cref="HeadModuleName"/>. <see cref="TorchTrainerOptions.FreezeBackboneEpochs"/> trains only the head for a
    /// while. Empty when the model has no head to single out.
    /// </summary>
    public IReadOnlyCollection<string> BackboneParameterNames => HeadModuleName is string head
        ? Network.named_parameters().Select(p => p.name).Where(n => !n.StartsWith(head + ".", StringComparison.Ordinal)).ToHashSet()
        : Array.Empty<string>();

    /// <summary>The device the network lives on.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>
    /// Checks that <paramref name="schema"/> holds the input columns with usable types, throwing an
    /// <see cref="ArgumentException"/> that names the column otherwise.
    /// </summary>
    public abstract void CheckInputSchema(DataViewSchema schema);

    /// <summary>Binds to a cursor or row and returns a featurizer that collects its inputs into batches.</summary>
    public abstract IBatchFeaturizer CreateFeaturizer(DataViewRow row);

    /// <summary>Logits (batch × <see cref="ClassCount"/>) for a batch made by a featurizer or a training set.</summary>
    public abstract Tensor Forward(IReadOnlyList<Tensor> inputs);

    /// <summary>
    /// Eval-mode logits for validation and scoring: <see cref="Forward"/>, unless the model averages several views of each
    /// input (test-time augmentation). Their softmax is the model's class probabilities.
    /// </summary>
    public virtual Tensor EvaluationForward(IReadOnlyList<Tensor> inputs) => Forward(inputs);

    /// <summary>Writes everything needed to recreate the model (configuration and weights).</summary>
    public abstract void Save(Stream stream);

    /// <summary>Moves the network to <paramref name="device"/>.</summary>
    public void MoveTo(Device device)
    {
        Network.to(device);
        Device = device;
    }

    /// <summary>Eval-mode class probabilities for a batch, as a flat row-major array (batch × classes).</summary>
    public float[] PredictProbabilities(IReadOnlyList<Tensor> inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Network.eval();
        var onDevice = new List<Tensor>(inputs.Count);
        foreach (Tensor t in inputs)
        {
            onDevice.Add(t.device == Device ? t : t.to(Device));
        }
        // Softmax in float32 whatever precision the network computes in.
        Tensor probabilities = nn.functional.softmax(EvaluationForward(onDevice).to(ScalarType.Float32), 1).cpu();
        return probabilities.data<float>().ToArray();
    }

    /// <summary>
    /// Reads the format version that starts a saved model's payload and throws when it is not
    /// <paramref name="expected"/>, naming <paramref name="modelKind"/> (for example "image classifier").
    /// </summary>
    protected static void ReadFormatVersion(BinaryReader reader, int expected, string modelKind)
        => ReadFormatVersion(reader, new[] { expected }, modelKind);

    /// <summary>
    /// Reads the format version that starts a saved model's payload and returns it; throws when it is none of
    /// <paramref name="supported"/>, naming <paramref name="modelKind"/>.
    /// </summary>
    protected static int ReadFormatVersion(BinaryReader reader, IReadOnlyList<int> supported, string modelKind)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(supported);
        int version = reader.ReadInt32();
        if (!supported.Contains(version))
        {
            throw new InvalidDataException($"Saved {modelKind} has format version {version}; this library reads {string.Join(" and ", supported)}.");
        }
        return version;
    }

    /// <summary>Disposes the network.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the network's native memory.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            Network.Dispose();
        }
        _disposed = true;
    }
}

/// <summary>
/// Lets the engine recreate a saved model: implemented by every concrete <see cref="TorchClassificationModel"/>.
/// </summary>
/// <typeparam name="TSelf">The model type.</typeparam>
public interface ILoadableClassificationModel<TSelf> where TSelf : TorchClassificationModel, ILoadableClassificationModel<TSelf>
{
    /// <summary>Reads a model written by <see cref="TorchClassificationModel.Save"/>.</summary>
    static abstract TSelf Load(Stream stream);
}

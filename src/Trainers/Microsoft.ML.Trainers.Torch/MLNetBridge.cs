using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.Torch;

[assembly: LoadableClass(typeof(TorchClassificationTransformer), typeof(TorchClassificationTransformerLoader), null, typeof(SignatureLoadModel),
    "Torch Classification Transformer", TorchClassificationTransformer.LoaderSignature)]

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The one place this assembly touches ML.NET internals (reached through build/MLNetInternals.targets):
/// model save/load plumbing, schema-shape columns and cancellation. Everything else uses public API.
/// </summary>
internal static class MLNetBridge
{
    /// <summary>The environment behind an <c>mlContext.*.Trainers</c> catalog, for trainer catalog extensions.</summary>
    public static IHostEnvironment EnvironmentOf(TrainCatalogBase.CatalogInstantiatorBase catalog) => ((IInternalCatalog)catalog).Environment;

    /// <summary>True once <c>MLContext.CancelExecution</c> has been called on the environment.</summary>
    public static bool IsCanceled(IHostEnvironment env) => env is ICancelable cancelable && cancelable.IsCanceled;

    /// <summary>Cancels work running under <paramref name="context"/> (ML.NET keeps <c>MLContext.CancelExecution</c> internal).</summary>
    public static void Cancel(MLContext context) => context.CancelExecution();

    /// <summary>Throws <see cref="OperationCanceledException"/> when the environment was cancelled.</summary>
    public static void ThrowIfCanceled(IHostEnvironment env)
    {
        if (IsCanceled(env))
        {
            throw new OperationCanceledException("Training was cancelled through MLContext.CancelExecution.");
        }
    }

    /// <summary>A schema-shape column (its constructor is internal to ML.NET).</summary>
    public static SchemaShape.Column ShapeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null)
        => new SchemaShape.Column(name, kind, itemType, isKey, annotations);

    /// <summary>Writes version info and a binary payload into the model repository.</summary>
    public static void Save(ModelSaveContext ctx, ModelVersion version, string payloadName, Action<BinaryWriter> writePayload)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(ToVersionInfo(version));
        ctx.SaveBinaryStream(payloadName, writePayload);
    }

    /// <summary>
    /// Reads a binary payload written by <see cref="Save"/>, handing the reader the format version the model was written
    /// with; throws when it is missing.
    /// </summary>
    public static T Load<T>(object ctxObject, ModelVersion version, string payloadName, Func<BinaryReader, uint, T> readPayload)
    {
        var ctx = (ModelLoadContext)ctxObject;
        ctx.CheckAtModel(ToVersionInfo(version));
        uint written = ctx.Header.ModelVerWritten;
        T result = default!;
        bool found = ctx.TryLoadBinaryStream(payloadName, reader => result = readPayload(reader, written));
        if (!found)
        {
            throw new InvalidDataException($"The model zip has no '{payloadName}' stream for loader '{version.LoaderSignature}'.");
        }
        return result;
    }

    private static VersionInfo ToVersionInfo(ModelVersion v) =>
        new VersionInfo(v.ModelSignature, v.Version, v.Version, v.OldestReadable == 0 ? v.Version : v.OldestReadable, v.LoaderAssemblyName, v.LoaderSignature, null);
}

/// <summary>
/// What ML.NET records about a saved model and its loader: <paramref name="Version"/> is written (and only code of that
/// version or later reads it); models as old as <paramref name="OldestReadable"/> (0: only <paramref name="Version"/>) still load.
/// </summary>
internal readonly record struct ModelVersion(string ModelSignature, uint Version, string LoaderSignature, string LoaderAssemblyName, uint OldestReadable = 0);

/// <summary>The loader ML.NET's component catalog calls for <see cref="TorchClassificationTransformer"/>.</summary>
internal static class TorchClassificationTransformerLoader
{
    public static TorchClassificationTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        TorchBackend.EnsureAvailable();
        return MLNetBridge.Load(ctx, TorchClassificationTransformer.Version, TorchClassificationTransformer.PayloadName, TorchClassificationTransformer.Read);
    }
}

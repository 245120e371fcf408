using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>Runs an ONNX encoder file with ONNX Runtime, the independent engine our import is compared with.</summary>
internal sealed class OnnxRuntimeReference : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxRuntimeReference(string modelPath)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        _session = new InferenceSession(modelPath, options);
    }

    /// <summary>The model's <c>last_hidden_state</c> (or first output) for one batch, row-major batch × length × hidden.</summary>
    public float[] LastHiddenState(BertBatch batch)
    {
        long[] shape = { batch.BatchSize, batch.SequenceLength };
        var available = new Dictionary<string, long[]>
        {
            ["input_ids"] = batch.InputIds,
            ["attention_mask"] = batch.AttentionMask,
            ["token_type_ids"] = batch.TokenTypeIds,
        };
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (string name in _session.InputMetadata.Keys)
            {
                if (!available.TryGetValue(name, out long[]? data))
                {
                    throw new InvalidOperationException($"The reference model has an input '{name}' the test cannot feed.");
                }
                names.Add(name);
                values.Add(OrtValue.CreateTensorValueFromMemory(data.ToArray(), shape));
            }
            string output = _session.OutputMetadata.Keys.Contains("last_hidden_state") ? "last_hidden_state" : _session.OutputMetadata.Keys.First();
            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(runOptions, names, values, new[] { output });
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (OrtValue v in values)
            {
                v.Dispose();
            }
        }
    }

    public void Dispose() => _session.Dispose();
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Extensions.Tests;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// The ONNX encoders the import is proved on: every <c>&lt;name&gt;/model.onnx</c> + <c>&lt;name&gt;/vocab.txt</c> under
/// the folder named by <c>ONNX_ENCODERS_DIR</c>; by default the MiniLM extracted from its NuGet package at build time
/// (build/PretrainedMiniLM.targets) and the small exports committed under test/TestData/onnx-encoders.
/// </summary>
internal static class OnnxEncoders
{
    /// <summary>The packaged all-MiniLM-L6-v2 export in the test output; fails loudly when the build did not extract it.</summary>
    public static string MiniLM
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "pretrained", "minilm", "model.onnx");
            if (!File.Exists(path) || !File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "vocab.txt")))
            {
                throw new FileNotFoundException(
                    $"The packaged MiniLM encoder '{path}' (and vocab.txt beside it) is missing: build/PretrainedMiniLM.targets extracts it on build; rebuild the test project.", path);
            }
            return path;
        }
    }

    /// <summary>The committed torch 1.13 export (test/TestData/onnx-encoders/make_tiny_bert.py).</summary>
    public static string TinyTorch113 => Existing(Path.Combine(TestData.Root, "onnx-encoders", "tiny-bert-torch113", "model.onnx"));

    /// <summary>One row (name, model path) per encoder, for data-driven tests.</summary>
    public static IEnumerable<object[]> All()
    {
        string? dir = Environment.GetEnvironmentVariable("ONNX_ENCODERS_DIR");
        if (string.IsNullOrEmpty(dir))
        {
            yield return new object[] { "minilm (package)", MiniLM };
            foreach (string path in InFolder(Path.Combine(TestData.Root, "onnx-encoders")))
            {
                yield return new object[] { Path.GetFileName(Path.GetDirectoryName(path))!, path };
            }
            yield break;
        }
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"ONNX_ENCODERS_DIR '{dir}' does not exist.");
        }
        string[] found = InFolder(dir).ToArray();
        if (found.Length == 0)
        {
            throw new FileNotFoundException($"ONNX_ENCODERS_DIR '{dir}' holds no <name>/model.onnx with a vocab.txt beside it.");
        }
        foreach (string path in found)
        {
            yield return new object[] { Path.GetFileName(Path.GetDirectoryName(path))!, path };
        }
    }

    private static IEnumerable<string> InFolder(string dir) =>
        Directory.GetDirectories(dir).OrderBy(d => d, StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "model.onnx"))
            .Where(p => File.Exists(p) && File.Exists(Path.Combine(Path.GetDirectoryName(p)!, "vocab.txt")));

    private static string Existing(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"Test encoder '{path}' is missing.", path);
}

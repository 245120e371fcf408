using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>A network's state (parameters and buffers) as raw bytes, for bit-exact comparisons of trained models.</summary>
public static class StateBytes
{
    /// <summary>Every state-dict entry's bytes, by name.</summary>
    public static Dictionary<string, byte[]> Of(nn.Module network)
        => network.state_dict().ToDictionary(p => p.Key, p =>
        {
            using Tensor cpu = p.Value.detach().cpu().contiguous();
            return cpu.bytes.ToArray();
        });

    /// <summary>Fails naming the first entry whose bytes differ.</summary>
    public static void AssertIdentical(Dictionary<string, byte[]> expected, Dictionary<string, byte[]> actual, string what)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList(), $"{what}: state entries");
        foreach ((string name, byte[] bytes) in expected)
        {
            Assert.IsTrue(bytes.AsSpan().SequenceEqual(actual[name]), $"{what}: '{name}' differs");
        }
    }
}

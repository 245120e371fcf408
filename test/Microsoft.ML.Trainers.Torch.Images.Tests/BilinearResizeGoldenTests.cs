using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Images;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Images;

/// <summary>
/// The antialiased bilinear resize against torchvision's <c>resize(antialias=True)</c> on float images in [0, 1]
/// (test/TestData/torchvision-resize, written by make_resize_golden.py, which also checks torchvision against PIL's BILINEAR). Driven by
/// expected.json: each case names a uint8 input, a region, a target size and torchvision's float32 output.
/// </summary>
[TestClass]
public sealed class BilinearResizeGoldenTests
{
    // Float32 accumulation in a different order than aten's: observed differences are about 1e-7 of the [0, 1] range.
    private const double Tolerance = 1e-5;

    private sealed record ResizeCase(string Name, int Channels, int Height, int Width, int[] Region, int[] Target);

    // This repository generated the reference itself (the shared golden set has no resize cases), so it is read from
    // the in-repo copy whatever GOLDEN_DIR says.
    private static string Folder
    {
        get
        {
            string folder = Path.Combine(TestData.Root, "torchvision-resize");
            if (!File.Exists(Path.Combine(folder, "expected.json")))
            {
                throw new FileNotFoundException($"The torchvision resize reference '{folder}' is missing.", Path.Combine(folder, "expected.json"));
            }
            return folder;
        }
    }

    private static List<ResizeCase> LoadCases()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new ResizeCase(
            c.GetProperty("name").GetString()!,
            c.GetProperty("channels").GetInt32(),
            c.GetProperty("height").GetInt32(),
            c.GetProperty("width").GetInt32(),
            c.GetProperty("region").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            c.GetProperty("target").EnumerateArray().Select(v => v.GetInt32()).ToArray())).ToList();
    }

    public static IEnumerable<object[]> Cases() => LoadCases().Select(c => new object[] { c.Name });

    [TestMethod]
    [TestCategory("Golden")]
    [DynamicData(nameof(Cases))]
    public void ResizeMatchesTorchvisionAntialiasedBilinear(string caseName)
    {
        ResizeCase golden = LoadCases().Single(c => c.Name == caseName);
        using var scope = NewDisposeScope();
        using var file = new SafetensorsReader(Path.Combine(Folder, "resize.safetensors"));
        byte[] pixels = file.ReadTensor(caseName + ".input").data<byte>().ToArray();
        float[] expected = file.ReadTensor(caseName + ".output", ScalarType.Float32).data<float>().ToArray();
        int c = golden.Channels, h = golden.Target[0], w = golden.Target[1];
        Assert.AreEqual(c * golden.Height * golden.Width, pixels.Length, "input size in expected.json vs the tensor");
        Assert.AreEqual(c * h * w, expected.Length, "target size in expected.json vs the tensor");

        float[] source = pixels.Select(b => b / 255f).ToArray();
        var actual = new float[c * h * w];
        BilinearResize.ResizeRegion(source, c, golden.Height, golden.Width,
            golden.Region[0], golden.Region[1], golden.Region[2], golden.Region[3], actual, h, w);

        double worst = 0;
        int at = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            if (diff > worst)
            {
                worst = diff;
                at = i;
            }
        }
        Assert.IsTrue(worst <= Tolerance,
            $"{caseName}: max |ours − torchvision| = {worst:G3} at index {at} (ours {actual[at]}, torchvision {expected[at]}); tolerance {Tolerance}.");
    }
}

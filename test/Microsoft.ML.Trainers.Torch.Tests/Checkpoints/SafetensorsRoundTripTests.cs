using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Checkpoints;

/// <summary>Safetensors writer and reader agree for every element type, and read files written by Python.</summary>
[TestClass]
public sealed class SafetensorsRoundTripTests
{
    [TestMethod]
    [DataRow(ScalarType.Float32)]
    [DataRow(ScalarType.Float16)]
    [DataRow(ScalarType.BFloat16)]
    [DataRow(ScalarType.Float64)]
    [DataRow(ScalarType.Int64)]
    [DataRow(ScalarType.Int32)]
    [DataRow(ScalarType.Int16)]
    [DataRow(ScalarType.Int8)]
    [DataRow(ScalarType.Byte)]
    [DataRow(ScalarType.Bool)]
    public void EachDTypeRoundTripsBitExactly(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        Tensor original = MakeTensor(dtype, 3, 5, 2);
        Tensor scalar = MakeTensor(dtype).reshape(Array.Empty<long>());
        Tensor emptyTensor = zeros(new long[] { 0, 4 }, dtype: dtype);

        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, new[] { ("a.weight", original), ("scalar", scalar), ("empty", emptyTensor) });
        stream.Position = 0;

        using var reader = new SafetensorsReader(stream, "memory", leaveOpen: true);
        CollectionAssert.AreEqual(new[] { "a.weight", "scalar", "empty" }, reader.Tensors.Select(t => t.Name).ToArray());
        SafetensorsTensorInfo info = reader.GetInfo("a.weight");
        Assert.AreEqual(SafetensorsDTypes.FromScalarType(dtype), info.DType);
        CollectionAssert.AreEqual(new long[] { 3, 5, 2 }, info.Shape.ToArray());

        Tensor back = reader.ReadTensor("a.weight");
        Assert.AreEqual(dtype, back.dtype);
        TensorAssert.AreEqual(original, back);
        Tensor backScalar = reader.ReadTensor("scalar");
        Assert.AreEqual(0L, backScalar.dim());
        TensorAssert.AreEqual(scalar, backScalar);
        Tensor backEmpty = reader.ReadTensor("empty");
        CollectionAssert.AreEqual(new long[] { 0, 4 }, backEmpty.shape);
    }

    [TestMethod]
    public void HeaderIsPaddedToEightBytesAndDataFollowsContiguously()
    {
        using var scope = NewDisposeScope();
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, new[] { ("x", ones(3)), ("yy", ones(2, dtype: ScalarType.Int64)) },
            new Dictionary<string, string> { ["format"] = "pt" });
        byte[] bytes = stream.ToArray();
        long headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.AreEqual(0L, headerLength % 8);
        Assert.AreEqual(8 + headerLength + 3 * 4 + 2 * 8, bytes.Length);
        using JsonDocument header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        Assert.AreEqual("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.AreEqual("I64", header.RootElement.GetProperty("yy").GetProperty("dtype").GetString());
        Assert.AreEqual(12, header.RootElement.GetProperty("yy").GetProperty("data_offsets")[0].GetInt64());

        stream.Position = 0;
        using var reader = new SafetensorsReader(stream, leaveOpen: true);
        Assert.AreEqual("pt", reader.Metadata["format"]);
    }

    [TestMethod]
    public void ReadTensorConvertsToRequestedDType()
    {
        using var scope = NewDisposeScope();
        Tensor values = tensor(new float[] { 0.5f, -1.25f, 3f });
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, new[] { ("v", values) }, floatingPointDType: ScalarType.Float16);
        stream.Position = 0;
        using var reader = new SafetensorsReader(stream, leaveOpen: true);
        Assert.AreEqual(SafetensorsDType.F16, reader.GetInfo("v").DType);
        Tensor back = reader.ReadTensor("v", ScalarType.Float32);
        Assert.AreEqual(ScalarType.Float32, back.dtype);
        CollectionAssert.AreEqual(new[] { 0.5f, -1.25f, 3f }, back.data<float>().ToArray());
    }

    [TestMethod]
    public void FileRoundTripAndReadAll()
    {
        string dir = TestData.NewTempDir();
        string path = Path.Combine(dir, "t.safetensors");
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["w"] = randn(4, 4),
            ["steps"] = tensor(42L),
        };
        SafetensorsWriter.Write(path, tensors);
        using var reader = new SafetensorsReader(path);
        Assert.AreEqual(path, reader.SourceName);
        Dictionary<string, Tensor> all = reader.ReadAll(floatingPointDType: ScalarType.Float64);
        Assert.AreEqual(ScalarType.Float64, all["w"].dtype);
        Assert.AreEqual(ScalarType.Int64, all["steps"].dtype);
        Assert.IsTrue(all["w"].allclose(tensors["w"].to_type(ScalarType.Float64)));
        Assert.AreEqual(42L, all["steps"].item<long>());
    }

    [TestMethod]
    public void ForwardOnlyStreamReadsInFileOrderAndRefusesToGoBack()
    {
        using var scope = NewDisposeScope();
        using var buffer = new MemoryStream();
        SafetensorsWriter.Write(buffer, new[] { ("first", arange(5f)), ("second", arange(3f)), ("third", arange(2f)) });
        using var forwardOnly = new ForwardOnlyStream(new MemoryStream(buffer.ToArray()));
        using var reader = new SafetensorsReader(forwardOnly, "entry.safetensors");
        Assert.IsFalse(reader.CanReadInAnyOrder);
        Assert.AreEqual(1f, reader.ReadTensor("third")[1].item<float>());
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => reader.ReadTensor("first"));
        StringAssert.Contains(ex.Message, "entry.safetensors");
        StringAssert.Contains(ex.Message, "first");
    }

    [TestMethod]
    public void LargeTensorCrossesChunkBoundaries()
    {
        using var scope = NewDisposeScope();
        // 20M float32 = 80 MB, more than one 64 MB chunk.
        Tensor big = arange(20_000_000, dtype: ScalarType.Float32);
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, new[] { ("big", big) });
        stream.Position = 0;
        using var reader = new SafetensorsReader(stream, leaveOpen: true);
        TensorAssert.AreEqual(big, reader.ReadTensor("big"));
    }

    [TestMethod]
    public void ReadsGoldenFilesWrittenByPython()
    {
        using var scope = NewDisposeScope();
        using (var reader = new SafetensorsReader(TestData.Golden("resnet", "expected.safetensors")))
        {
            using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(TestData.Golden("resnet", "expected.json")));
            float[][] logits = expected.RootElement.GetProperty("logits").EnumerateArray()
                .Select(row => row.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
            Tensor stored = reader.ReadTensor("logits");
            CollectionAssert.AreEqual(new long[] { logits.Length, logits[0].Length }, stored.shape);
            CollectionAssert.AreEqual(logits.SelectMany(r => r).ToArray(), stored.data<float>().ToArray());
        }

        using (var reader = new SafetensorsReader(TestData.Golden("bert", "model", "model.safetensors")))
        {
            // The tensor names, read independently of the reader from the file's JSON header (8-byte length, then JSON).
            byte[] file = File.ReadAllBytes(TestData.Golden("bert", "model", "model.safetensors"));
            long headerLength = BitConverter.ToInt64(file, 0);
            using JsonDocument header = JsonDocument.Parse(new ReadOnlyMemory<byte>(file, 8, (int)headerLength));
            string[] names = header.RootElement.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__").OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Assert.IsTrue(names.Length > 10, $"a BERT checkpoint has many tensors ({names.Length})");
            CollectionAssert.AreEqual(names, reader.Tensors.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray());
            foreach (SafetensorsTensorInfo info in reader.Tensors)
            {
                using var inner = NewDisposeScope();
                Tensor t = reader.ReadTensor(info.Name, ScalarType.Float32);
                CollectionAssert.AreEqual(info.Shape.ToArray(), t.shape, info.Name);
                Assert.IsFalse(t.isnan().any().item<bool>(), info.Name);
            }
        }
    }

    private static Tensor MakeTensor(ScalarType dtype, params long[] shape)
    {
        long[] s = shape.Length == 0 ? new long[] { 1 } : shape;
        return dtype switch
        {
            ScalarType.Bool => rand(s).gt(0.5),
            ScalarType.Byte => randint(0, 256, s, dtype: ScalarType.Byte),
            ScalarType.Int8 => randint(-128, 128, s, dtype: ScalarType.Int8),
            ScalarType.Int16 => randint(-30000, 30000, s, dtype: ScalarType.Int16),
            ScalarType.Int32 => randint(-2_000_000_000, 2_000_000_000, s, dtype: ScalarType.Int32),
            ScalarType.Int64 => randint(-2_000_000_000, 2_000_000_000, s, dtype: ScalarType.Int64).mul(1000),
            _ => randn(s).mul(100).to_type(dtype),
        };
    }
}

using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Extensions.Tests.Checkpoints;

/// <summary>Damaged safetensors files fail with messages that name the file.</summary>
[TestClass]
public sealed class SafetensorsCorruptFileTests
{
    [TestMethod]
    public void TruncatedDataNamesTheFile()
    {
        byte[] valid = ValidFile();
        string path = WriteTemp(valid.AsSpan(0, valid.Length - 3).ToArray());
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new SafetensorsReader(path));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "truncated");
    }

    [TestMethod]
    public void TruncatedForwardOnlyStreamNamesTheTensor()
    {
        byte[] valid = ValidFile();
        using var stream = new ForwardOnlyStream(new MemoryStream(valid.AsSpan(0, valid.Length - 3).ToArray()));
        using var reader = new SafetensorsReader(stream, "model.zip/weights");
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => reader.ReadTensor("w"));
        StringAssert.Contains(ex.Message, "model.zip/weights");
        StringAssert.Contains(ex.Message, "'w'");
    }

    [TestMethod]
    public void TooShortForTheLengthField()
    {
        string path = WriteTemp(new byte[] { 1, 2, 3 });
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new SafetensorsReader(path));
        StringAssert.Contains(ex.Message, path);
    }

    [TestMethod]
    public void AbsurdHeaderLengthIsNotSafetensors()
    {
        byte[] bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 0x7FFF_FFFF_FFFF);
        string path = WriteTemp(bytes);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new SafetensorsReader(path));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "not a safetensors file");
    }

    [TestMethod]
    public void MalformedJsonNamesTheFile()
    {
        string path = WriteTemp(WithHeader("{\"w\": {\"dtype\": \"F32\", "));
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new SafetensorsReader(path));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "JSON");
    }

    [TestMethod]
    public void OffsetsThatDisagreeWithTheShapeNameTheTensor()
    {
        string path = WriteTemp(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 12]}}", 12));
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new SafetensorsReader(path));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "'w'");
    }

    [TestMethod]
    public void UnsupportedDTypeNamesTensorAndDType()
    {
        string path = WriteTemp(WithHeader("{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 2));
        var ex = Assert.ThrowsExactly<NotSupportedException>(() => new SafetensorsReader(path));
        StringAssert.Contains(ex.Message, "'w'");
        StringAssert.Contains(ex.Message, "F8_E4M3");
    }

    [TestMethod]
    public void UnknownTensorNameNamesFileAndTensor()
    {
        string path = WriteTemp(ValidFile());
        using var reader = new SafetensorsReader(path);
        var ex = Assert.ThrowsExactly<System.Collections.Generic.KeyNotFoundException>(() => reader.ReadTensor("nope"));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "nope");
    }

    private static byte[] ValidFile()
    {
        using var scope = NewDisposeScope();
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, new[] { ("w", ones(4, 4)) });
        return stream.ToArray();
    }

    private static byte[] WithHeader(string json, int dataBytes = 0)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        byte[] bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static string WriteTemp(byte[] bytes)
    {
        string path = Path.Combine(TestData.NewTempDir(), "bad.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

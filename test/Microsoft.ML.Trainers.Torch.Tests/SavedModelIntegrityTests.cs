using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// A damaged model zip fails with an <see cref="InvalidDataException"/> naming the entry and the model, never with a
/// bare stream error or wrong predictions: the weights carry a SHA-256 checked on load.
/// </summary>
[TestClass]
public sealed class SavedModelIntegrityTests
{
    private static string SavedModel(out IDataView data)
    {
        var ml = new MLContext(seed: 1);
        (ITransformer model, data) = TransformerPersistenceTests.BuildModel(ml);
        string path = Path.Combine(TestData.NewTempDir(), "model.zip");
        ml.Model.Save(model, data.Schema, path);
        return path;
    }

    private static void RewritePayload(string path, Func<byte[], byte[]> change) =>
        ZipEntryRewrite.Rewrite(path, TorchClassificationTransformer.PayloadName, change);

    private static Exception LoadError(string path) => UnwrappedException.Of(() => new MLContext(seed: 2).Model.Load(path, out _));

    [TestMethod]
    public void AFlippedWeightByteFailsTheChecksumNamingTheEntry()
    {
        string path = SavedModel(out _);
        // The last bytes of the payload are the linear layer's bias.
        RewritePayload(path, bytes => { bytes[^3] ^= 0x40; return bytes; });

        Exception error = LoadError(path);
        Assert.IsInstanceOfType<InvalidDataException>(error, error.ToString());
        StringAssert.Contains(error.Message, "SHA-256");
        StringAssert.Contains(error.Message, TorchClassificationTransformer.PayloadName);
        StringAssert.Contains(error.Message, nameof(LinearTestModel));
    }

    [TestMethod]
    public void AGarbagePayloadFailsAsInvalidDataNamingTheEntry()
    {
        string path = SavedModel(out _);
        var random = new Random(5);
        RewritePayload(path, bytes =>
        {
            // The column names survive; everything after them is noise.
            byte[] garbage = new byte[bytes.Length];
            random.NextBytes(garbage);
            bytes.AsSpan(0, 20).CopyTo(garbage);
            return garbage;
        });

        Exception error = LoadError(path);
        Assert.IsInstanceOfType<InvalidDataException>(error, error.ToString());
        StringAssert.Contains(error.Message, TorchClassificationTransformer.PayloadName);
    }

    [TestMethod]
    public void ATruncatedPayloadFailsAsInvalidData()
    {
        string path = SavedModel(out _);
        RewritePayload(path, bytes => bytes[..(bytes.Length / 2)]);

        Exception error = LoadError(path);
        Assert.IsInstanceOfType<InvalidDataException>(error, error.ToString());
        StringAssert.Contains(error.Message, TorchClassificationTransformer.PayloadName);
    }

    [TestMethod]
    public void PayloadsOfTheFormatBeforeTheChecksumStillLoad()
    {
        var ml = new MLContext(seed: 1);
        var (chain, data) = TransformerPersistenceTests.BuildModel(ml);
        string path = Path.Combine(TestData.NewTempDir(), "model.zip");
        ml.Model.Save(chain, data.Schema, path);
        byte[] current = null!;
        RewritePayload(path, bytes => current = bytes);

        // Format 0x00010001 is the current payload without the 32-byte hash that precedes the weights.
        int hashOffset = HashOffset(current);
        byte[] old = current[..hashOffset].Concat(current[(hashOffset + 32)..]).ToArray();
        using var reader = new BinaryReader(new MemoryStream(old));
        using TorchClassificationTransformer loaded = TorchClassificationTransformer.Read(reader, 0x00010001);

        float[][] expected = TransformerPersistenceTests.Scores(chain.Transform(data));
        var keyed = ((TransformerChain<ITransformer>)chain).First().Transform(data);
        float[][] actual = TransformerPersistenceTests.Scores(loaded.Transform(keyed));
        for (int i = 0; i < expected.Length; i++)
        {
            CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");
        }
    }

    [TestMethod]
    public void AZipOfTheFormatBeforeTheChecksumStillLoads()
    {
        string path = SavedModel(out IDataView data);
        var ml = new MLContext(seed: 1);
        float[][] expected = TransformerPersistenceTests.Scores(ml.Model.Load(path, out _).Transform(data));
        // Rewrite the zip as the previous release wrote it: payload without the hash, model version 0x00010001 in the header.
        RewritePayload(path, bytes =>
        {
            int hashOffset = HashOffset(bytes);
            return bytes[..hashOffset].Concat(bytes[(hashOffset + 32)..]).ToArray();
        });
        using (ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            ZipArchiveEntry payload = zip.Entries.Single(e => e.Name == TorchClassificationTransformer.PayloadName);
            string keyName = payload.FullName[..^TorchClassificationTransformer.PayloadName.Length] + "Model.key";
            ZipArchiveEntry key = zip.GetEntry(keyName) ?? throw new AssertFailedException($"no {keyName}");
            byte[] header;
            using (var read = new MemoryStream())
            {
                using (Stream s = key.Open())
                {
                    s.CopyTo(read);
                }
                header = read.ToArray();
            }
            // ModelVerWritten and ModelVerReadable follow the model signature "TORCHCLS".
            int signature = header.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes("TORCHCLS"));
            Assert.IsGreaterThanOrEqualTo(0, signature);
            Assert.AreEqual(TorchClassificationTransformer.ChecksumVersion, BitConverter.ToUInt32(header, signature + 8));
            BitConverter.GetBytes(0x00010001u).CopyTo(header, signature + 8);
            BitConverter.GetBytes(0x00010001u).CopyTo(header, signature + 12);
            key.Delete();
            using Stream write = zip.CreateEntry(keyName).Open();
            write.Write(header);
        }

        float[][] actual = TransformerPersistenceTests.Scores(new MLContext(seed: 2).Model.Load(path, out _).Transform(data));
        for (int i = 0; i < expected.Length; i++)
        {
            CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");
        }
    }

    /// <summary>Where the hash starts: after the header fields, which the reader of the current format walks.</summary>
    private static int HashOffset(byte[] payload)
    {
        using var reader = new BinaryReader(new MemoryStream(payload));
        reader.ReadString();
        reader.ReadString();
        reader.ReadString();
        reader.ReadInt32();
        int count = reader.ReadInt32();
        if (reader.ReadBoolean())
        {
            for (int i = 0; i < count; i++)
            {
                reader.ReadString();
            }
        }
        reader.ReadString();
        reader.ReadString();
        reader.ReadInt64();
        return (int)reader.BaseStream.Position;
    }
}

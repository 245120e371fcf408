using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Samples.Support;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Loading the corpus (npm tarball, extracted folder) and the committed subset.</summary>
[TestClass]
public sealed class SpamAssassinCorpusTests
{
    private static string SubsetPath => Path.Combine(TestData.Root, "spam", "spamassassin-subset.jsonl");

    private static readonly (string Group, string Id, string Text)[] s_messages =
    {
        ("spam-2", "00002", "Subject: WIN money\n\nclick"),
        ("easy-ham-1", "00001", "Subject: meeting\n\nsee you"),
        ("hard-ham-1", "00007", "Subject: newsletter\n\n<b>hi</b>"),
    };

    private static string Json((string Group, string Id, string Text) m) =>
        $"{{\"id\":\"{m.Id}\",\"group\":\"{m.Group}\",\"checksum\":{{\"type\":\"MD5\",\"value\":\"0\"}},\"text\":{System.Text.Json.JsonSerializer.Serialize(m.Text)}}}";

    [TestMethod]
    public void SubsetHasAllThreeCategoriesAndLabels()
    {
        var emails = SpamAssassinCorpus.LoadSubset(SubsetPath);
        Assert.AreEqual(300, emails.Count);
        Assert.AreEqual(120, emails.Count(e => e.Label(2) == "spam"));
        Assert.AreEqual(60, emails.Count(e => e.Label(3) == "hard_ham"));
        Assert.IsTrue(emails.All(e => !e.Text.StartsWith("Return-Path:") && !e.Text.StartsWith("From ")), "subset texts are stripped of headers");
    }

    [TestMethod]
    public void ExtractedFolderLoadsSorted()
    {
        string root = TestData.NewTempDir();
        foreach (var m in s_messages)
        {
            string dir = Path.Combine(root, "package", "data", m.Group);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, m.Id + ".abc.json"), Json(m));
            File.WriteAllText(Path.Combine(dir, m.Id + ".abc.txt"), m.Text);
        }
        var emails = SpamAssassinCorpus.Load(root);
        CollectionAssert.AreEqual(new[] { "easy-ham-1", "hard-ham-1", "spam-2" }, emails.Select(e => e.Group).ToArray());
        CollectionAssert.AreEqual(new[] { "ham", "ham", "spam" }, emails.Select(e => e.Label(2)).ToArray());
        CollectionAssert.AreEqual(new[] { "easy_ham", "hard_ham", "spam" }, emails.Select(e => e.Label(3)).ToArray());
        Assert.AreEqual("WIN money\n\nclick", EmailText.ToSubjectAndBody(emails[2].Text));
    }

    [TestMethod]
    public void NpmTarballLoads()
    {
        string path = Path.Combine(TestData.NewTempDir(), "corpus.tgz");
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
        {
            foreach (var m in s_messages)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, $"package/data/{m.Group}/{m.Id}.abc.json")
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(Json(m))),
                };
                tar.WriteEntry(entry);
            }
        }
        var emails = SpamAssassinCorpus.Load(path);
        Assert.AreEqual(3, emails.Count);
        Assert.AreEqual(1, emails.Count(e => e.IsSpam));
    }

    [TestMethod]
    public void MissingOrEmptyCorpusIsAClearError()
    {
        string dir = TestData.NewTempDir();
        Assert.ThrowsExactly<FileNotFoundException>(() => SpamAssassinCorpus.Load(Path.Combine(dir, "nope.tgz")));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SpamAssassinCorpus.Load(dir));
        StringAssert.Contains(e.Message, dir);
    }

    [TestMethod]
    public void SubsetRoundTrips()
    {
        var emails = SpamAssassinCorpus.LoadSubset(SubsetPath).Take(5).ToList();
        string path = Path.Combine(TestData.NewTempDir(), "copy.jsonl");
        SpamAssassinCorpus.WriteSubset(path, emails);
        var copy = SpamAssassinCorpus.LoadSubset(path);
        CollectionAssert.AreEqual(emails.Select(e => e.Text).ToArray(), copy.Select(e => e.Text).ToArray());
    }
}

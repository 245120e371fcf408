using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>
/// Hugging Face BERT tokenization rules where Microsoft.ML.Tokenizers alone differs, truncation,
/// padding, settings and errors. Expected ids follow Hugging Face's rules on the golden vocabulary.
/// </summary>
[TestClass]
public sealed class BertTokenizerTests
{
    private static BertTextTokenizer Golden() => BertTextTokenizer.FromFolder(BertGoldenData.ModelDir);

    private static int Id(BertTextTokenizer t, string token) => t.Tokenizer.EncodeToIds(token, addSpecialTokens: false).Single();

    [TestMethod]
    public void NewlinesAndTabsSeparateWords()
    {
        BertTextTokenizer t = Golden();
        // Hugging Face's clean_text turns \n, \r and \t into spaces; the library alone deleted them ("goodbad").
        CollectionAssert.AreEqual(new[] { Id(t, "good"), Id(t, "bad"), Id(t, "movie"), Id(t, "film") },
            t.Tokenize("good\nbad\r\nmovie\tfilm").ToArray());
    }

    [TestMethod]
    public void FormatCharactersAreRemovedAndLineSeparatorsAreSpaces()
    {
        BertTextTokenizer t = Golden();
        CollectionAssert.AreEqual(new[] { Id(t, "good"), Id(t, "bad") }, t.Tokenize("go\u00ADod\u2028bad").ToArray());
    }

    [TestMethod]
    public void AsciiSymbolsAreSeparatePunctuationWords()
    {
        BertTextTokenizer t = Golden();
        int unk = t.UnknownTokenId;
        // '$', '+', '_' are ASCII punctuation for Hugging Face: each its own word ([UNK] here), never dropped or glued.
        CollectionAssert.AreEqual(new[] { Id(t, "a"), unk, Id(t, "b"), unk, Id(t, "c"), unk, Id(t, "d") },
            t.Tokenize("a$b+c_d").ToArray());
    }

    [TestMethod]
    public void NonPunctuationSymbolsStayInTheWord()
    {
        BertTextTokenizer t = Golden();
        // '€' is neither whitespace nor punctuation: "fun€" is one word, unknown as a whole.
        CollectionAssert.AreEqual(new[] { t.UnknownTokenId }, t.Tokenize("fun€").ToArray());
    }

    [TestMethod]
    public void AccentsAreStrippedWhenUncased()
    {
        BertTextTokenizer t = Golden();
        CollectionAssert.AreEqual(t.Tokenize("cafe naive resume").ToArray(), t.Tokenize("CAFÉ NAÏVE RÉSUMÉ").ToArray());
    }

    [TestMethod]
    public void LongWordsBecomeUnknown()
    {
        BertTextTokenizer t = Golden();
        CollectionAssert.AreEqual(new[] { t.UnknownTokenId }, t.Tokenize(new string('a', t.Settings.MaxInputCharsPerWord + 1)).ToArray());
        Assert.AreEqual(t.Settings.MaxInputCharsPerWord, t.Tokenize(new string('a', t.Settings.MaxInputCharsPerWord)).Count);
    }

    [TestMethod]
    public void NullAndEmptyTextEncodeToClsSep()
    {
        BertTextTokenizer t = Golden();
        CollectionAssert.AreEqual(new[] { t.ClassificationTokenId, t.SeparatorTokenId }, t.Encode(null).InputIds.ToArray());
        CollectionAssert.AreEqual(new[] { t.ClassificationTokenId, t.SeparatorTokenId, t.SeparatorTokenId }, t.Encode("", "").InputIds.ToArray());
    }

    [TestMethod]
    public void SingleTextTruncationKeepsTheFirstTokens()
    {
        BertTextTokenizer t = Golden();
        BertEncoding e = t.Encode("the plot is good and the actor is bad", maxLength: 5);
        CollectionAssert.AreEqual(new[] { t.ClassificationTokenId, Id(t, "the"), Id(t, "plot"), Id(t, "is"), t.SeparatorTokenId }, e.InputIds.ToArray());
    }

    [TestMethod]
    [DataRow(10, 2, 5, 3, 2)]   // the short text is kept whole, the long one absorbs the cut
    [DataRow(2, 10, 5, 2, 3)]
    [DataRow(10, 10, 9, 4, 5)]  // both too long: half each, the odd token to the second (Rust tokenizer rule)
    [DataRow(10, 7, 6, 3, 3)]
    [DataRow(3, 4, 7, 3, 4)]    // fits: untouched
    public void PairTruncationIsLongestFirst(int first, int second, int budget, int expectedFirst, int expectedSecond)
    {
        Assert.AreEqual((expectedFirst, expectedSecond), BertTextTokenizer.LongestFirst(first, second, budget));
    }

    [TestMethod]
    public void PairTruncationProducesTypeIdsForTheKeptTokens()
    {
        BertTextTokenizer t = Golden();
        BertEncoding e = t.Encode("the plot is good and fun", "bad", maxLength: 7);
        Assert.AreEqual(7, e.Length);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 0, 1, 1 }, e.TokenTypeIds.ToArray());
        Assert.AreEqual(Id(t, "bad"), e.InputIds[5]);
    }

    [TestMethod]
    public void TooSmallMaxLengthIsRejected()
    {
        BertTextTokenizer t = Golden();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.Encode("a", "b", maxLength: 2));
    }

    [TestMethod]
    public void PaddingFillsPadIdTypeZeroMaskZero()
    {
        BertTextTokenizer t = Golden();
        BertBatch b = t.EncodeBatch(new[] { "good", "good bad movie" }, padToLength: 6);
        Assert.AreEqual(6, b.SequenceLength);
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0 }, b.AttentionMask);
        Assert.AreEqual(t.PaddingTokenId, b.InputIds[5]);
    }

    [TestMethod]
    public void CasedSettingsFromTokenizerConfigKeepCaseAndAccents()
    {
        string dir = TestData.NewTempDir();
        File.Copy(Path.Combine(BertGoldenData.ModelDir, "vocab.txt"), Path.Combine(dir, "vocab.txt"));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"do_lower_case\": false}");
        BertTextTokenizer t = BertTextTokenizer.FromFolder(dir);
        Assert.IsFalse(t.Settings.LowerCase);
        Assert.IsFalse(t.Settings.StripAccents, "strip_accents absent follows do_lower_case");
        CollectionAssert.AreEqual(new[] { t.UnknownTokenId }, t.Tokenize("Good").ToArray());
    }

    [TestMethod]
    public void VocabularyComesFromTokenizerJsonWhenVocabTxtIsAbsent()
    {
        string dir = TestData.NewTempDir();
        File.Copy(Path.Combine(BertGoldenData.ModelDir, "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
        BertTextTokenizer fromJson = BertTextTokenizer.FromFolder(dir);
        BertTextTokenizer fromTxt = Golden();
        Assert.AreEqual(fromTxt.VocabularySize, fromJson.VocabularySize);
        CollectionAssert.AreEqual(fromTxt.Tokenize("Click here, wonderful café!").ToArray(), fromJson.Tokenize("Click here, wonderful café!").ToArray());
    }

    [TestMethod]
    public void MissingVocabularyNamesTheFile()
    {
        string dir = TestData.NewTempDir();
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => BertTextTokenizer.FromFolder(dir));
        StringAssert.Contains(e.Message, "vocab.txt");
    }

    [TestMethod]
    public void SavedVocabularyAndSettingsRecreateTheTokenizer()
    {
        BertTextTokenizer t = Golden();
        var vocab = new MemoryStream();
        t.SaveVocabulary(vocab);
        vocab.Position = 0;
        BertTextTokenizer copy = BertTextTokenizer.Create(vocab, BertTokenizerSettings.FromJson(t.Settings.ToJson()));
        CollectionAssert.AreEqual(t.Tokenize("I love this film!").ToArray(), copy.Tokenize("I love this film!").ToArray());
    }
}

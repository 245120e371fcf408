using System.Linq;
using System.Text.Json.Nodes;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Token ids, token type ids and attention masks equal Hugging Face's on every golden case.</summary>
[TestClass]
[TestCategory("Golden")]
public sealed class BertTokenizerGoldenTests
{
    public static System.Collections.Generic.IEnumerable<object[]> Cases => BertGoldenData.CaseRows();

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void EncodingMatchesHuggingFace(int index, string label)
    {
        JsonObject c = BertGoldenData.Case(index);
        BertTextTokenizer tokenizer = BertTextTokenizer.FromFolder(BertGoldenData.ModelDir);

        BertEncoding e = tokenizer.Encode(BertGoldenData.Text(c), BertGoldenData.TextPair(c));

        CollectionAssert.AreEqual(BertGoldenData.Ints(c["input_ids"]!), e.InputIds.ToArray(), $"input_ids of {label}");
        CollectionAssert.AreEqual(BertGoldenData.Ints(c["token_type_ids"]!), e.TokenTypeIds.ToArray(), $"token_type_ids of {label}");
        CollectionAssert.AreEqual(BertGoldenData.Ints(c["attention_mask"]!), e.AttentionMask.ToArray(), $"attention_mask of {label}");
    }

    [TestMethod]
    public void PaddedBatchMatchesHuggingFace()
    {
        JsonObject batch = BertGoldenData.Batch;
        string[] texts = ((JsonArray)batch["texts"]!).Select(t => (string)t!).ToArray();
        string?[]? pairs = batch["text_pairs"] is JsonArray p ? p.Select(t => (string?)t).ToArray() : null;
        BertTextTokenizer tokenizer = BertTextTokenizer.FromFolder(BertGoldenData.ModelDir);

        BertBatch b = tokenizer.EncodeBatch(texts, pairs);

        int[][] ids = BertGoldenData.IntRows(batch["input_ids"]!);
        Assert.AreEqual(ids.Length, b.BatchSize);
        Assert.AreEqual(ids[0].Length, b.SequenceLength);
        CollectionAssert.AreEqual(ids.SelectMany(r => r).Select(v => (long)v).ToArray(), b.InputIds);
        CollectionAssert.AreEqual(BertGoldenData.IntRows(batch["attention_mask"]!).SelectMany(r => r).Select(v => (long)v).ToArray(), b.AttentionMask);
        if (batch["token_type_ids"] is JsonNode types)
        {
            CollectionAssert.AreEqual(BertGoldenData.IntRows(types).SelectMany(r => r).Select(v => (long)v).ToArray(), b.TokenTypeIds);
        }
    }
}

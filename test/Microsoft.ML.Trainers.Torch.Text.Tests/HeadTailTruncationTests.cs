using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Extensions.Tests;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// Head+tail truncation (<see cref="BertTextModel.TailTokens"/>): which word pieces a long text keeps, that a model
/// trained with it reads the end of long texts (and one without it cannot), that the tail survives save and load, and
/// that impossible settings fail before any data is read.
/// </summary>
[TestClass]
public sealed class HeadTailTruncationTests
{
    private sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    private static BertTextTokenizer Golden() => BertTextTokenizer.FromFolder(BertGoldenData.ModelDir);

    private static int[] Ids(BertTextTokenizer t, string text) => t.Tokenize(text).ToArray();

    [TestMethod]
    public void ALongTextKeepsItsHeadAndItsLastTailTokens()
    {
        BertTextTokenizer t = Golden();
        int[] words = Ids(t, "the plot is good and the actor is bad");
        BertEncoding e = t.Encode("the plot is good and the actor is bad", maxLength: 6, tailTokens: 2);
        int[] expected = new[] { t.ClassificationTokenId }.Concat(words[..2]).Concat(words[^2..]).Append(t.SeparatorTokenId).ToArray();
        CollectionAssert.AreEqual(expected, e.InputIds.ToArray());
        Assert.IsTrue(e.TokenTypeIds.ToArray().All(type => type == 0));
    }

    [TestMethod]
    public void ATailAsLongAsTheBudgetKeepsOnlyTheEnd()
    {
        BertTextTokenizer t = Golden();
        int[] words = Ids(t, "the plot is good and the actor is bad");
        BertEncoding e = t.Encode("the plot is good and the actor is bad", maxLength: 5, tailTokens: 3);
        CollectionAssert.AreEqual(new[] { t.ClassificationTokenId }.Concat(words[^3..]).Append(t.SeparatorTokenId).ToArray(), e.InputIds.ToArray());
    }

    [TestMethod]
    public void ATextThatFitsIsUntouchedByTheTail()
    {
        BertTextTokenizer t = Golden();
        CollectionAssert.AreEqual(
            t.Encode("the plot is good", maxLength: 16).InputIds.ToArray(),
            t.Encode("the plot is good", maxLength: 16, tailTokens: 8).InputIds.ToArray());
    }

    [TestMethod]
    public void ImpossibleTailsAreRejected()
    {
        BertTextTokenizer t = Golden();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.Encode("the plot is good", maxLength: 5, tailTokens: 4), "no room for [CLS]/[SEP]");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.Encode("the plot", "is good", maxLength: 8, tailTokens: 2), "pairs are cut longest-first");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.Encode("the plot", tailTokens: 2), "a tail needs a maxLength");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BertFineTuning { Checkpoint = TextTestData.BertCheckpoint, TailTokens = -1 });
    }

    [TestMethod]
    public void TailTokensBeyondTheSequenceLengthOrWithPairsFailAtConstruction()
    {
        var ml = new MLContext(seed: 1);
        var options = TextClassificationTrainerTests.TinyBert();
        ((BertFineTuning)options.Model).TailTokens = 23;   // MaxSequenceLength 24 leaves 22 for text
        var tooLong = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.TextClassification(options));
        Assert.AreEqual("TailTokens", tooLong.ParamName);

        var pairs = TextClassificationTrainerTests.TinyBert();
        ((BertFineTuning)pairs.Model).TailTokens = 4;
        pairs.SecondTextColumnName = "Second";
        var withPairs = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(pairs));
        Assert.AreEqual("TailTokens", withPairs.ParamName);
    }

    [TestMethod]
    public void AModelWithATailReadsTheEndOfLongTextsAndKeepsItThroughSaveAndLoad()
    {
        // The sentiment sentence ends a text that starts with 25 filler word pieces: a 24-token head never sees it.
        static TextRow[] Rows(int seed) => TextTestData.SentimentAfterFiller(seed);
        (double withTail, ITransformer model, MLContext ml) = TrainAndEvaluate(tailTokens: 14, Rows(5), Rows(6));
        (double headOnly, _, _) = TrainAndEvaluate(tailTokens: 0, Rows(5), Rows(6));
        Assert.IsGreaterThanOrEqualTo(0.85, withTail, $"head+tail accuracy {withTail}");
        Assert.IsLessThanOrEqualTo(0.7, headOnly, $"head-only accuracy {headOnly}: the filler alone should not predict the class");

        TextRow[] probe = Rows(7)[..20];
        string path = Path.Combine(Path.GetTempPath(), $"head-tail-{Guid.NewGuid():N}.zip");
        try
        {
            IDataView probeData = ml.Data.LoadFromEnumerable(probe);
            ml.Model.Save(model, probeData.Schema, path);
            ITransformer loaded = ml.Model.Load(path, out _);
            float[][] before = Scores(ml, model, probe);
            float[][] after = Scores(ml, loaded, probe);
            for (int i = 0; i < probe.Length; i++)
            {
                CollectionAssert.AreEqual(before[i], after[i], $"row {i}: the loaded model must truncate as the trained one");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (double Accuracy, ITransformer Model, MLContext Ml) TrainAndEvaluate(int tailTokens, TextRow[] train, TextRow[] test)
    {
        var ml = new MLContext(seed: 1);
        var options = TextClassificationTrainerTests.TinyBert(epochs: 12);
        var model = (BertFineTuning)options.Model;
        model.Dropout = 0;
        model.TailTokens = tailTokens;
        ITransformer fitted = TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options)).Fit(ml.Data.LoadFromEnumerable(train));
        double accuracy = ml.MulticlassClassification.Evaluate(fitted.Transform(ml.Data.LoadFromEnumerable(test))).MicroAccuracy;
        return (accuracy, fitted, ml);
    }

    private static float[][] Scores(MLContext ml, ITransformer model, TextRow[] rows) =>
        ml.Data.CreateEnumerable<Prediction>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).Select(p => p.Score).ToArray();
}

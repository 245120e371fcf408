using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Extensions.Tests;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>
/// Long texts read as several windows (<see cref="BertTextModel.Windows"/>): how a text is cut, that every window
/// trains and scoring gives the mean of the windows' probabilities (in Transform and in validation alike), that the
/// setting survives save and load, and that conflicting settings fail at construction.
/// </summary>
[TestClass]
public sealed class LongTextWindowsTests
{
    private const string Sentence = "the plot is good and the actor is bad";

    private sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void ALongTextIsCutIntoConsecutiveWindowsOfItsWordPieces()
    {
        BertTextTokenizer t = BertTextTokenizer.FromFolder(BertGoldenData.ModelDir);
        int[] pieces = t.Tokenize(Sentence).ToArray();
        Assert.AreEqual(9, pieces.Length);

        IReadOnlyList<BertEncoding> windows = t.EncodeWindows(Sentence, maxLength: 6, maxWindows: 10);
        Assert.AreEqual(3, windows.Count, "9 word pieces, 4 per window");
        for (int w = 0; w < 3; w++)
        {
            int[] expected = new[] { t.ClassificationTokenId }.Concat(pieces.Skip(4 * w).Take(4)).Append(t.SeparatorTokenId).ToArray();
            CollectionAssert.AreEqual(expected, windows[w].InputIds.ToArray(), $"window {w}");
            Assert.IsTrue(windows[w].TokenTypeIds.All(type => type == 0) && windows[w].AttentionMask.All(m => m == 1));
        }
        CollectionAssert.AreEqual(t.Encode(Sentence, maxLength: 6).InputIds.ToArray(), windows[0].InputIds.ToArray(), "the first window is the truncated text");
        Assert.AreEqual(2, t.EncodeWindows(Sentence, maxLength: 6, maxWindows: 2).Count, "the rest of a longer text is dropped");

        IReadOnlyList<BertEncoding> empty = t.EncodeWindows("", maxLength: 6, maxWindows: 3);
        Assert.AreEqual(1, empty.Count);
        CollectionAssert.AreEqual(new[] { t.ClassificationTokenId, t.SeparatorTokenId }, empty[0].InputIds.ToArray());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.EncodeWindows(Sentence, maxLength: 2, maxWindows: 2));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.EncodeWindows(Sentence, maxLength: 6, maxWindows: 0));
    }

    [TestMethod]
    public void EveryWindowTrainsAndScoringAveragesTheWindowsProbabilitiesThroughSaveAndLoad()
    {
        // The sentiment sentence ends a text that starts with 25 filler word pieces: it is in the second 24-token window.
        TextRow[] train = TextTestData.SentimentAfterFiller(5), test = TextTestData.SentimentAfterFiller(6);
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => log.Add(e.Message);
        var epochs = new List<EpochMetrics>();
        var options = TextClassificationTrainerTests.TinyBert(epochs: 12);
        options.EpochCallback = epochs.Add;
        var bert = (BertFineTuning)options.Model;
        bert.Dropout = 0;
        bert.Windows = 2;
        IDataView trainData = ml.Data.LoadFromEnumerable(train);
        IEstimator<ITransformer> mapLabel = TextTestData.MapLabel(ml);
        options.ValidationSet = mapLabel.Fit(trainData).Transform(ml.Data.LoadFromEnumerable(test));
        var fitted = mapLabel.Append(ml.MulticlassClassification.Trainers.TextClassification(options)).Fit(trainData);
        var model = (BertTextClassificationModel)fitted.LastTransformer.Model;
        Assert.AreEqual(2, model.Windows);

        BertTextTokenizer tokenizer = model.Tokenizer;
        int windowCount = train.Sum(r => tokenizer.EncodeWindows(r.Text, 24, 2).Count);
        Assert.AreEqual(2 * train.Length, windowCount, "every text has two windows");
        Assert.IsTrue(log.Any(m => m.Contains($"Training on {windowCount} examples from {train.Length} rows", StringComparison.Ordinal)),
            "each window is a training example");

        IDataView scored = fitted.Transform(ml.Data.LoadFromEnumerable(test));
        double accuracy = ml.MulticlassClassification.Evaluate(scored).MicroAccuracy;
        Assert.IsGreaterThanOrEqualTo(0.85, accuracy, $"accuracy {accuracy}: the class is only in the second window");
        Assert.AreEqual(accuracy, epochs[^1].ValidationAccuracy, "validation scores the windows as Transform does");

        // Each window scored on its own; the text's score is their mean.
        float[][] scores = ml.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).Select(p => p.Score).ToArray();
        for (int i = 0; i < 10; i++)
        {
            IReadOnlyList<BertEncoding> windows = tokenizer.EncodeWindows(test[i].Text, 24, 2);
            var mean = new double[2];
            foreach (BertEncoding window in windows)
            {
                float[] p = model.PredictProbabilities(model.Encoder.Collate(new[] { (IReadOnlyList<BertEncoding>)new[] { window } }));
                mean[0] += p[0] / windows.Count;
                mean[1] += p[1] / windows.Count;
            }
            Assert.AreEqual(mean[0], scores[i][0], 1e-5, $"row {i}");
            Assert.AreEqual(mean[1], scores[i][1], 1e-5, $"row {i}");
        }

        string path = Path.Combine(Path.GetTempPath(), $"windows-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(fitted, trainData.Schema, path);
            ITransformer loaded = ml.Model.Load(path, out _);
            float[][] after = ml.Data.CreateEnumerable<Prediction>(loaded.Transform(ml.Data.LoadFromEnumerable(test)), reuseRowObject: false).Select(p => p.Score).ToArray();
            for (int i = 0; i < test.Length; i++)
            {
                CollectionAssert.AreEqual(scores[i], after[i], $"row {i}: the loaded model must read the windows as the trained one");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ConflictingWindowSettingsFailAtConstruction()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BertFineTuning { Checkpoint = TextTestData.BertCheckpoint, Windows = 0 });
        var ml = new MLContext(seed: 1);

        var withTail = TextClassificationTrainerTests.TinyBert();
        ((BertFineTuning)withTail.Model).Windows = 2;
        ((BertFineTuning)withTail.Model).TailTokens = 4;
        Assert.AreEqual("Windows", Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(withTail)).ParamName);

        var pairs = TextClassificationTrainerTests.TinyBert();
        ((BertFineTuning)pairs.Model).Windows = 2;
        pairs.SecondTextColumnName = "Second";
        Assert.AreEqual("Windows", Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(pairs)).ParamName);

        var tooShort = TextClassificationTrainerTests.TinyBert();
        ((BertFineTuning)tooShort.Model).Windows = 2;
        ((BertFineTuning)tooShort.Model).MaxSequenceLength = 2;
        Assert.AreEqual("MaxSequenceLength", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.TextClassification(tooShort)).ParamName);
    }
}

using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Extensions.Tests;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Trainers.Torch.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

[TestClass]
public sealed class TextTrainerBadInputTests
{
    private sealed class NumberRow
    {
        public float Text { get; set; }
        public string Label { get; set; } = "";
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }

    private static IEstimator<ITransformer> Pipeline(MLContext ml, TextClassificationTrainerOptions options) =>
        TextTestData.MapLabel(ml).Append(ml.MulticlassClassification.Trainers.TextClassification(options));

    private static string CopyCheckpoint()
    {
        string folder = TestData.NewTempDir();
        foreach (string file in Directory.GetFiles(TextTestData.BertCheckpoint))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
        return folder;
    }

    [TestMethod]
    public void MissingTextColumnIsNamedBeforeTraining()
    {
        var ml = new MLContext(seed: 1);
        var options = TextClassificationTrainerTests.SmallFastText();
        options.TextColumnName = "Body";
        var e = Assert.Throws<ArgumentException>(() => Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(20, 1))));
        StringAssert.Contains(e.Message, "'Body'");
    }

    [TestMethod]
    public void NonTextColumnIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var rows = new[] { new NumberRow { Text = 1, Label = "a" }, new NumberRow { Text = 2, Label = "b" } };
        var e = Assert.Throws<ArgumentException>(() => Pipeline(ml, TextClassificationTrainerTests.SmallFastText()).Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(e.Message, "'Text'");
        StringAssert.Contains(e.Message, "String");
    }

    [TestMethod]
    public void ZeroRowsAndSingleClassFailBeforeTraining()
    {
        var ml = new MLContext(seed: 1);
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<TextRow>());
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(new[] { new LabelRow { Label = "pos" }, new LabelRow { Label = "neg" } }));
        var e = Assert.Throws<InvalidOperationException>(() => keyed.Append(ml.MulticlassClassification.Trainers.TextClassification(TextClassificationTrainerTests.SmallFastText())).Fit(empty));
        StringAssert.Contains(e.Message, "no rows");

        var single = ml.Data.LoadFromEnumerable(TextTestData.Sentiment(30, 1).Where(r => r.Label == "pos").ToArray());
        var e2 = Assert.Throws<InvalidOperationException>(() => keyed.Append(ml.MulticlassClassification.Trainers.TextClassification(TextClassificationTrainerTests.SmallFastText())).Fit(single));
        StringAssert.Contains(e2.Message, "single class");
    }

    [TestMethod]
    public void LongTextIsTruncatedNotAnError()
    {
        var ml = new MLContext(seed: 1);
        var options = TextClassificationTrainerTests.TinyBert(epochs: 1);
        TextRow[] rows = TextTestData.Sentiment(32, 1);
        rows[0].Text = string.Concat(Enumerable.Repeat("the movie was good and fun ", 500));
        var model = Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(rows));
        Assert.AreEqual(32, model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float[]>("Score").Count(s => s.Length == 2));
    }

    [TestMethod]
    public void OptionsAreCheckedAtConstruction()
    {
        var ml = new MLContext(seed: 1);
        var trainers = ml.MulticlassClassification.Trainers;
        // No model: the constructor names it. (Settings of one model on another, e.g. FreezeEncoder on fastText, no longer compile.)
        var noModel = Assert.Throws<ArgumentNullException>(() => new TextClassificationTrainerOptions(null!));
        Assert.AreEqual("model", noModel.ParamName);
        // Each model checks its settings as they are set, naming the setting.
        var e = Assert.Throws<DirectoryNotFoundException>(() => new BertFineTuning { Checkpoint = "/no/such/folder" });
        StringAssert.Contains(e.Message, "/no/such/folder");
        StringAssert.Contains(e.Message, "Checkpoint");
        Assert.AreEqual("MaxSequenceLength", Assert.Throws<ArgumentOutOfRangeException>(() => new BertFineTuning { Checkpoint = TextTestData.BertCheckpoint, MaxSequenceLength = 1 }).ParamName);
        Assert.AreEqual("Dropout", Assert.Throws<ArgumentOutOfRangeException>(() => new BertFineTuning { Checkpoint = TextTestData.BertCheckpoint, Dropout = 1 }).ParamName);
        Assert.AreEqual("EmbeddingLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new FastText { EmbeddingLearningRate = 0 }).ParamName);
        Assert.AreEqual("Shape", Assert.Throws<ArgumentNullException>(() => new FastText { Shape = null! }).ParamName);
        var vocabulary = Assert.Throws<FileNotFoundException>(() => new BertFromScratch { Config = new BertConfig(), Vocabulary = "/no/such/vocab.txt" });
        StringAssert.Contains(vocabulary.Message, "Vocabulary");
        var config = Assert.Throws<InvalidDataException>(() => new BertFromScratch { Config = new BertConfig { HiddenSize = 30, NumAttentionHeads = 4 }, Vocabulary = TextTestData.BertVocabulary });
        StringAssert.Contains(config.Message, "Config");
        // What involves the trainer's other settings is checked when the trainer is created.
        var fastText = Assert.Throws<ArgumentOutOfRangeException>(() => trainers.TextClassification(new TextClassificationTrainerOptions(new FastText { Shape = new FastTextOptions { Dropout = 1 } })));
        StringAssert.Contains(fastText.Message, "Dropout");
        Assert.Throws<ArgumentException>(() => trainers.TextClassification(new TextClassificationTrainerOptions(new FastText()) { SecondTextColumnName = "Text" }));
        Assert.AreEqual("Precision", Assert.Throws<ArgumentException>(() => trainers.TextClassification(new TextClassificationTrainerOptions(new FastText()) { Precision = TrainingPrecision.MixedBFloat16 })).ParamName);
        var pair = new BertFineTuning { Checkpoint = TextTestData.BertCheckpoint, MaxSequenceLength = 2 };
        Assert.AreEqual("MaxSequenceLength", Assert.Throws<ArgumentOutOfRangeException>(() => trainers.TextClassification(new TextClassificationTrainerOptions(pair) { SecondTextColumnName = "Pair" })).ParamName);
        var scratch = new BertFromScratch { Config = new BertConfig { MaxPositionEmbeddings = 16 }, Vocabulary = TextTestData.BertVocabulary, MaxSequenceLength = 17 };
        Assert.AreEqual("MaxSequenceLength", Assert.Throws<ArgumentOutOfRangeException>(() => trainers.TextClassification(new TextClassificationTrainerOptions(scratch))).ParamName);
    }

    [TestMethod]
    public void MaxLengthBeyondThePositionEmbeddingsIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var options = TextClassificationTrainerTests.TinyBert();
        ((BertFineTuning)options.Model).MaxSequenceLength = 65;  // the checkpoint has 64 positions
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(20, 1))));
        StringAssert.Contains(e.Message, "max_position_embeddings");
    }

    [TestMethod]
    public void CheckpointWithMissingFilesNamesTheFile()
    {
        var ml = new MLContext(seed: 1);
        foreach (string missing in new[] { "config.json", "model.safetensors" })
        {
            string folder = CopyCheckpoint();
            File.Delete(Path.Combine(folder, missing));
            var e = Assert.Throws<FileNotFoundException>(() => new BertFineTuning { Checkpoint = folder });
            StringAssert.Contains(e.Message, missing);
            StringAssert.Contains(e.Message, "Checkpoint");
        }
        string noVocabulary = CopyCheckpoint();
        File.Delete(Path.Combine(noVocabulary, "vocab.txt"));
        File.Delete(Path.Combine(noVocabulary, "tokenizer.json"));
        var e3 = Assert.Throws<FileNotFoundException>(() => new BertFineTuning { Checkpoint = noVocabulary });
        StringAssert.Contains(e3.Message, "vocab.txt");
    }

    [TestMethod]
    public void UnknownArchitectureInConfigIsNamed()
    {
        var e = Assert.Throws<InvalidDataException>(() => FitWithEditedConfig("\"model_type\": \"bert\"", "\"model_type\": \"gpt2\""));
        StringAssert.Contains(e.Message, "gpt2");
    }

    [TestMethod]
    public void MismatchedTensorShapeNamesTheTensor()
    {
        var e = Assert.Throws<CheckpointMismatchException>(() => FitWithEditedConfig("\"intermediate_size\": 64", "\"intermediate_size\": 48"));
        StringAssert.Contains(e.Message, "intermediate.dense.weight");
        StringAssert.DoesNotMatch(e.StackTrace!, new System.Text.RegularExpressions.Regex("ReadTrainingSet|TrainingLoop"), "checked before any text is tokenized");
    }

    /// <summary>Fine-tunes a copy of the golden checkpoint whose config.json has <paramref name="find"/> replaced.</summary>
    private static void FitWithEditedConfig(string find, string replacement)
    {
        var ml = new MLContext(seed: 1);
        string folder = CopyCheckpoint();
        string config = Path.Combine(folder, "config.json");
        string json = File.ReadAllText(config);
        Assert.Contains(find, json);
        File.WriteAllText(config, json.Replace(find, replacement));
        var options = TextClassificationTrainerTests.TinyBert(checkpoint: folder);
        Pipeline(ml, options).Fit(ml.Data.LoadFromEnumerable(TextTestData.Sentiment(20, 1)));
    }

    [TestMethod]
    public void LabelUnseenInTrainingIsRejectedAtPrediction()
    {
        var ml = new MLContext(seed: 1);
        TextRow[] train = TextTestData.Sentiment(40, 1);
        var model = Pipeline(ml, TextClassificationTrainerTests.SmallFastText(epochs: 1)).Fit(ml.Data.LoadFromEnumerable(train));
        TextRow[] test = { new() { Text = "the plot was fun", Label = "pos" }, new() { Text = "free money", Label = "spam" } };
        var e = Assert.Throws<InvalidOperationException>(() => model.Transform(ml.Data.LoadFromEnumerable(test)).GetColumn<float[]>("Score").ToList());
        StringAssert.Contains(e.Message, "Label");
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Extensions.Tests;
using Microsoft.ML.Trainers.Torch.Text;
using Samples.Support;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>A labelled text row.</summary>
public sealed class TextRow
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

/// <summary>A labelled sentence pair.</summary>
public sealed class PairRow
{
    public string First { get; set; } = "";
    public string Second { get; set; } = "";
    public string Label { get; set; } = "";
}

/// <summary>Data for the text trainer tests.</summary>
internal static class TextTestData
{
    public static string BertCheckpoint => TestData.Golden("bert", "model");

    /// <summary>The golden checkpoint's WordPiece vocabulary.</summary>
    public static string BertVocabulary => System.IO.Path.Combine(BertCheckpoint, "vocab.txt");

    /// <summary>The committed 300-message SpamAssassin subset, split 80/20 with seed 1 (stratified by order).</summary>
    public static (TextRow[] Train, TextRow[] Test) Spam(int classes)
    {
        var emails = SpamAssassinCorpus.LoadSubset(Path.Combine(TestData.Root, "spam", "spamassassin-subset.jsonl"));
        var random = new Random(1);
        TextRow[] rows = emails.Select(e => new TextRow { Text = e.Text, Label = e.Label(classes) }).OrderBy(_ => random.Next()).ToArray();
        int train = rows.Length * 4 / 5;
        return (rows[..train], rows[train..]);
    }

    private static readonly string[] Positive = { "good", "great", "fun", "love", "wonderful" };
    private static readonly string[] Negative = { "bad", "terrible", "boring", "hate", "not good" };
    private static readonly string[] Subjects = { "the movie", "this film", "the plot", "the acting", "that story", "the actor" };

    /// <summary>
    /// 120 texts of 25 filler word pieces, the same in every text, followed by a sentence whose sentiment word decides
    /// the class ("pos"/"neg"): a model that reads only the first 24 tokens cannot tell the classes apart.
    /// </summary>
    public static TextRow[] SentimentAfterFiller(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 120).Select(_ =>
        {
            bool isPositive = random.Next(2) == 0;
            string word = (isPositive ? Positive : Negative)[random.Next(5)];
            return new TextRow { Text = $"{string.Concat(Enumerable.Repeat("the movie and the story ", 5))}the plot was very {word}.", Label = isPositive ? "pos" : "neg" };
        }).ToArray();
    }

    /// <summary>
    /// Sentences in the tiny golden BERT vocabulary whose sentiment word decides the class ("pos"/"neg"); some are
    /// long, so truncation and padding are exercised.
    /// </summary>
    public static TextRow[] Sentiment(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new TextRow[count];
        for (int i = 0; i < count; i++)
        {
            bool positive = random.Next(2) == 0;
            string word = (positive ? Positive : Negative)[random.Next(5)];
            string subject = Subjects[random.Next(Subjects.Length)];
            string filler = string.Concat(Enumerable.Repeat(" and the story was a movie", random.Next(4)));
            rows[i] = new TextRow { Text = $"{subject} was very {word}{filler}.", Label = positive ? "pos" : "neg" };
        }
        return rows;
    }

    public static IEstimator<ITransformer> MapLabel(MLContext ml) => ml.Transforms.Conversion.MapValueToKey("Label");
}

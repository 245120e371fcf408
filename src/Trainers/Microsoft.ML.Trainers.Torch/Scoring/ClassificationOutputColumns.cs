using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The two columns a classifier adds, shaped the way ML.NET's multiclass evaluator and
/// <c>MapKeyToValue</c> expect: <c>Score</c> (softmax probabilities ordered by label key) and
/// <c>PredictedLabel</c> (a key with the training label's key values).
/// </summary>
internal sealed class ClassificationOutputColumns
{
    public ClassificationOutputColumns(LabelKeyInfo labels, string scoreColumnName, string predictedLabelColumnName)
    {
        Labels = labels;
        ScoreColumnName = scoreColumnName;
        PredictedLabelColumnName = predictedLabelColumnName;
        ScoreType = new VectorDataViewType(NumberDataViewType.Single, labels.ClassCount);
        PredictedLabelType = new KeyDataViewType(typeof(uint), labels.ClassCount);
    }

    public LabelKeyInfo Labels { get; }
    public string ScoreColumnName { get; }
    public string PredictedLabelColumnName { get; }
    public VectorDataViewType ScoreType { get; }
    public KeyDataViewType PredictedLabelType { get; }

    /// <summary>Appends the output columns to <paramref name="input"/> (same-named input columns become hidden).</summary>
    public DataViewSchema AppendTo(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(ScoreColumnName, ScoreType, ScoreAnnotations());
        builder.AddColumn(PredictedLabelColumnName, PredictedLabelType, PredictedLabelAnnotations());
        return builder.ToSchema();
    }

    /// <summary>The output columns as schema-shape columns, for <c>GetOutputSchema</c>.</summary>
    public IEnumerable<SchemaShape.Column> ShapeColumns()
    {
        var scoreAnnotations = new List<SchemaShape.Column>
        {
            MLNetBridge.ShapeColumn("ScoreColumnKind", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
            MLNetBridge.ShapeColumn("ScoreValueKind", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
        };
        var predictedAnnotations = new List<SchemaShape.Column>(scoreAnnotations);
        if (Labels.KeyValues != null)
        {
            scoreAnnotations.Add(MLNetBridge.ShapeColumn("SlotNames", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false));
            predictedAnnotations.Add(MLNetBridge.ShapeColumn("KeyValues", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false));
        }
        yield return MLNetBridge.ShapeColumn(ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, new SchemaShape(scoreAnnotations));
        yield return MLNetBridge.ShapeColumn(PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, new SchemaShape(predictedAnnotations));
    }

    private DataViewSchema.Annotations ScoreAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        AddKind(builder, "Score");
        if (Labels.KeyValues != null)
        {
            builder.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, Labels.ClassCount), KeyValueGetter());
        }
        return builder.ToAnnotations();
    }

    private DataViewSchema.Annotations PredictedLabelAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        AddKind(builder, "PredictedLabel");
        if (Labels.KeyValues != null)
        {
            builder.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, Labels.ClassCount), KeyValueGetter());
        }
        return builder.ToAnnotations();
    }

    private static void AddKind(DataViewSchema.Annotations.Builder builder, string valueKind)
    {
        builder.Add("ScoreColumnKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = "MulticlassClassification".AsMemory());
        builder.Add("ScoreValueKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = valueKind.AsMemory());
    }

    private ValueGetter<VBuffer<ReadOnlyMemory<char>>> KeyValueGetter()
    {
        ReadOnlyMemory<char>[] values = Labels.KeyValues!.Select(v => v.AsMemory()).ToArray();
        return (ref VBuffer<ReadOnlyMemory<char>> dst) => new VBuffer<ReadOnlyMemory<char>>(values.Length, values).CopyTo(ref dst);
    }

    /// <summary>Writes probabilities into a Score vector.</summary>
    public static void FillScore(ReadOnlySpan<float> probabilities, ref VBuffer<float> dst)
    {
        var editor = VBufferEditor.Create(ref dst, probabilities.Length);
        probabilities.CopyTo(editor.Values);
        dst = editor.Commit();
    }

    /// <summary>The 1-based key of the most probable class (the first on ties, like ML.NET).</summary>
    public static uint ArgMaxKey(ReadOnlySpan<float> probabilities)
    {
        int best = 0;
        for (int i = 1; i < probabilities.Length; i++)
        {
            if (probabilities[i] > probabilities[best])
            {
                best = i;
            }
        }
        return (uint)best + 1;
    }
}

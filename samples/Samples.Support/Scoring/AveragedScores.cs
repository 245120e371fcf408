using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Samples.Support;

/// <summary>
/// Accuracy of the mean of several scorings of the same rows (two models, or an image and its mirror): the samples'
/// ensembles, computed from each scored view's <c>Score</c> vectors and the <c>Label</c> key.
/// </summary>
public static class AveragedScores
{
    /// <summary>The <c>Score</c> vectors of a scored view, in row order.</summary>
    public static float[][] Read(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();

    /// <summary>The <c>Label</c> keys (1-based) of a scored view, in row order.</summary>
    public static uint[] Labels(IDataView scored) => scored.GetColumn<uint>("Label").ToArray();

    /// <summary>
    /// Micro- and macro-accuracy (mean recall over the classes present, as ML.NET's) of the class with the largest summed
    /// score over <paramref name="views"/> (the first wins ties).
    /// </summary>
    public static (double Accuracy, double Macro) Accuracy(uint[] labels, params IReadOnlyList<float[][]> views)
    {
        int classCount = views[0][0].Length;
        var total = new int[classCount];
        var correct = new int[classCount];
        var sum = new float[classCount];
        for (int i = 0; i < labels.Length; i++)
        {
            Array.Clear(sum);
            foreach (float[][] view in views)
            {
                for (int c = 0; c < classCount; c++)
                {
                    sum[c] += view[i][c];
                }
            }
            int truth = (int)labels[i] - 1;
            total[truth]++;
            correct[truth] += Array.IndexOf(sum, sum.Max()) == truth ? 1 : 0;
        }
        double macro = Enumerable.Range(0, classCount).Where(c => total[c] > 0).Average(c => correct[c] / (double)total[c]);
        return (correct.Sum() / (double)labels.Length, macro);
    }
}

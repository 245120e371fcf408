using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch.Search;

/// <summary>The leaderboard order, shared by the result, the canceled exception and the report.</summary>
internal static class OptimizerExperimentRanking
{
    public static IReadOnlyList<TrialResult> Rank(MulticlassMetric metric, IEnumerable<TrialResult> trials)
    {
        var list = trials.ToList();
        list.Sort((a, b) =>
        {
            int c = b.Rung.CompareTo(a.Rung);
            if (c != 0) return c;
            c = (a.Status != TrialStatus.Completed).CompareTo(b.Status != TrialStatus.Completed);
            if (c != 0) return c;
            c = metric.CompareBetterFirst(a.FinalMetric, b.FinalMetric);
            return c != 0 ? c : a.TrialId.CompareTo(b.TrialId);
        });
        return list;
    }
}

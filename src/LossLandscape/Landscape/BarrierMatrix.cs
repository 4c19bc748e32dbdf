using LossLandscape.IO;

namespace LossLandscape.Landscape;

/// <summary>
/// The same-basin barrier matrix of k models: for every pair (i, j), i &lt; j, the line scan from model i to model j and its
/// barriers (<see cref="Barriers.AboveHigherEnd"/> and <see cref="Barriers.AboveMeanOfEnds"/> of the loss and the error, on
/// the training data and on the test data when given). Computed by <see cref="BarrierShards"/>, in one process or in shards.
/// </summary>
/// <param name="Checkpoints">The models' labels (their checkpoints), in order.</param>
/// <param name="Alphas">The coefficients of every line, from 0 to 1.</param>
/// <param name="BatchNorm">The BatchNorm policy used.</param>
/// <param name="Loss">The loss name.</param>
/// <param name="HasTest">Whether test values were measured.</param>
/// <param name="Pairs">The pairs in the order (0,1), (0,2), ..., (0,k-1), (1,2), ...</param>
public sealed record BarrierMatrix(string[] Checkpoints, double[] Alphas, string BatchNorm, string Loss, bool HasTest, IReadOnlyList<BarrierPair> Pairs)
{
    /// <summary>
    /// The barriers as k x k matrices (symmetric, zero diagonal), by name: trainLossAboveHigherEnd, trainLossAboveMeanOfEnds,
    /// trainErrorAboveHigherEnd, trainErrorAboveMeanOfEnds, and the same with test when test data was given.
    /// </summary>
    public IReadOnlyDictionary<string, double[][]> Matrices
    {
        get
        {
            var m = new Dictionary<string, double[][]>();
            foreach (var (set, pick) in new (string, Func<BarrierPair, BarrierValues?>)[] { ("train", p => p.Train), ("test", p => p.Test) })
            {
                if (set == "test" && !HasTest) continue;
                m[set + "LossAboveHigherEnd"] = Matrix(p => pick(p)!.LossAboveHigherEnd);
                m[set + "LossAboveMeanOfEnds"] = Matrix(p => pick(p)!.LossAboveMeanOfEnds);
                m[set + "ErrorAboveHigherEnd"] = Matrix(p => pick(p)!.ErrorAboveHigherEnd);
                m[set + "ErrorAboveMeanOfEnds"] = Matrix(p => pick(p)!.ErrorAboveMeanOfEnds);
            }
            return m;
        }
    }

    /// <summary>A k x k matrix of one value of every pair, symmetric, with zeros on the diagonal.</summary>
    public double[][] Matrix(Func<BarrierPair, double> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int k = Checkpoints.Length;
        var m = Enumerable.Range(0, k).Select(_ => new double[k]).ToArray();
        foreach (var p in Pairs) m[p.A][p.B] = m[p.B][p.A] = value(p);
        return m;
    }

    /// <summary>CSV with one row per pair: the two models and their barriers.</summary>
    public string ToCsv()
    {
        var header = new List<string> { "a", "b", "from", "to" };
        var sets = HasTest ? new[] { "train", "test" } : new[] { "train" };
        foreach (var s in sets)
            header.AddRange(new[] { s + "_loss_above_higher_end", s + "_loss_above_mean_of_ends", s + "_error_above_higher_end", s + "_error_above_mean_of_ends" });
        return ResultFiles.Csv(header, Pairs.Select(p =>
        {
            var row = new List<object?> { p.A, p.B, p.From, p.To };
            foreach (var v in HasTest ? new[] { p.Train, p.Test! } : new[] { p.Train })
                row.AddRange(new object?[] { v.LossAboveHigherEnd, v.LossAboveMeanOfEnds, v.ErrorAboveHigherEnd, v.ErrorAboveMeanOfEnds });
            return (IReadOnlyList<object?>)row;
        }));
    }

    /// <summary>The pairs (i, j), i &lt; j, of <paramref name="models"/> models in matrix order.</summary>
    public static IReadOnlyList<(int A, int B)> PairsOf(int models)
    {
        var list = new List<(int, int)>();
        for (int i = 0; i < models; i++)
            for (int j = i + 1; j < models; j++) list.Add((i, j));
        return list;
    }
}

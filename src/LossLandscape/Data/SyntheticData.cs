using System.Globalization;
using static TorchSharp.torch;

namespace LossLandscape.Data;

/// <summary>
/// Synthetic data sets, given by a spec <c>synthetic:KIND[:key=value,key=value,...]</c>. All are float32 <c>[P, d]</c>
/// on the CPU, drawn with a torch generator seeded by <c>seed</c> (default 0); the test set is drawn after the
/// training set from the same generator, so the same spec always gives the same data.
/// </summary>
/// <remarks>
/// <para><c>blobs</c> (keys k=3, d=2, n=600, ntest=200, sep=3, seed=0): class centres μ_c ~ N(0, sep² I_d),
/// c = 0..k-1, labels uniform on {0..k-1}, x | y ~ N(μ_y, I_d).</para>
/// <para><c>teacher</c> (keys d=10, k=2, h=32, n=1000, ntest=1000, seed=0): x ~ N(0, I_d); a random teacher MLP
/// with W1 [h, d] ~ N(0, 1/d), W2 [k, h] ~ N(0, 1/h) labels y = argmax_c (W2 relu(W1 x))_c.</para>
/// <para><c>meanfield</c> (keys d=40, delta=0.8, n=1000, ntest=1000, seed=0), the task of Mei, Montanari and
/// Nguyen (2018): s = ±1 with probability 1/2 each, x | s ~ N(0, (1 + s Δ)² I_d), 0 ≤ Δ &lt; 1; label 0 for
/// s = -1 (class "-1") and 1 for s = +1 (class "+1").</para>
/// </remarks>
public static class SyntheticData
{
    /// <summary>The spec prefix.</summary>
    public const string Prefix = "synthetic:";

    /// <summary>What specs are accepted, for error messages and help.</summary>
    public const string Syntax =
        "synthetic:blobs[:k=3,d=2,n=600,ntest=200,sep=3,seed=0], synthetic:teacher[:d=10,k=2,h=32,n=1000,ntest=1000,seed=0] " +
        "or synthetic:meanfield[:d=40,delta=0.8,n=1000,ntest=1000,seed=0]";

    private static readonly Dictionary<string, Dictionary<string, double>> Defaults = new(StringComparer.Ordinal)
    {
        ["blobs"] = new() { ["k"] = 3, ["d"] = 2, ["n"] = 600, ["ntest"] = 200, ["sep"] = 3, ["seed"] = 0 },
        ["teacher"] = new() { ["d"] = 10, ["k"] = 2, ["h"] = 32, ["n"] = 1000, ["ntest"] = 1000, ["seed"] = 0 },
        ["meanfield"] = new() { ["d"] = 40, ["delta"] = 0.8, ["n"] = 1000, ["ntest"] = 1000, ["seed"] = 0 },
    };

    /// <summary>Whether <paramref name="spec"/> names a synthetic set (starts with <c>synthetic:</c>).</summary>
    public static bool IsSynthetic(string spec) => spec.Trim().StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a spec into its kind and the full set of parameters (defaults filled in).</summary>
    /// <exception cref="LossLandscapeException">Unknown kind or key, a value that is not a number, or a value out of range.</exception>
    public static (string Kind, IReadOnlyDictionary<string, double> Parameters) Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = spec.Trim();
        if (!IsSynthetic(text))
            throw Bad(spec, "it does not start with 'synthetic:'");
        var rest = text[Prefix.Length..];
        int colon = rest.IndexOf(':', StringComparison.Ordinal);
        var kind = (colon < 0 ? rest : rest[..colon]).Trim().ToLowerInvariant();
        if (!Defaults.TryGetValue(kind, out var defaults))
            throw Bad(spec, $"the kind '{kind}' is unknown (known: {string.Join(", ", Defaults.Keys)})");
        var p = new Dictionary<string, double>(defaults, StringComparer.Ordinal);
        if (colon >= 0)
        {
            foreach (var part in rest[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) throw Bad(spec, $"'{part}' is not key=value");
                var key = part[..eq].Trim().ToLowerInvariant();
                var value = part[(eq + 1)..].Trim();
                if (!p.ContainsKey(key)) throw Bad(spec, $"'{key}' is not a parameter of {kind} (its parameters: {string.Join(", ", defaults.Keys)})");
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                    throw Bad(spec, $"the value '{value}' of '{key}' is not a number");
                p[key] = v;
            }
        }
        foreach (var key in new[] { "k", "d", "n", "ntest", "h", "seed" })
            if (p.TryGetValue(key, out var v) && (v != Math.Floor(v) || v < 0 || v > int.MaxValue))
                throw Bad(spec, $"'{key}' must be a whole number of at least 0; got {v.ToString(CultureInfo.InvariantCulture)}");
        if (p.TryGetValue("k", out var k) && k < 2) throw Bad(spec, "'k' (classes) must be at least 2");
        if (p["d"] < 1) throw Bad(spec, "'d' (dimension) must be at least 1");
        if (p["n"] < 1) throw Bad(spec, "'n' (training examples) must be at least 1");
        if (p.TryGetValue("h", out var h) && h < 1) throw Bad(spec, "'h' (teacher width) must be at least 1");
        if (p.TryGetValue("sep", out var sep) && sep < 0) throw Bad(spec, "'sep' must be at least 0");
        if (p.TryGetValue("delta", out var delta) && !(delta >= 0 && delta < 1)) throw Bad(spec, "'delta' must be in [0, 1)");
        return (kind, p);
    }

    /// <summary>Generates the training and test sets of <paramref name="spec"/>.</summary>
    /// <exception cref="LossLandscapeException">The spec is not valid (see <see cref="Syntax"/>).</exception>
    public static DataSplit Create(string spec)
    {
        var (kind, p) = Parse(spec);
        using var outer = NewDisposeScope();
        using var g = new Generator((ulong)p["seed"]);
        long n = (long)p["n"], nt = (long)p["ntest"];
        int d = (int)p["d"];
        Func<long, (Tensor X, Tensor Y)> draw;
        IReadOnlyList<string> names;
        switch (kind)
        {
            case "blobs":
            {
                int k = (int)p["k"];
                var centres = randn(new long[] { k, d }, generator: g).mul_(p["sep"]);
                draw = m =>
                {
                    var y = randint(k, new[] { m }, generator: g, dtype: ScalarType.Int64);
                    var x = centres.index_select(0, y).add_(randn(new long[] { m, d }, generator: g));
                    return (x, y);
                };
                names = Enumerable.Range(0, k).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
                break;
            }
            case "teacher":
            {
                int k = (int)p["k"], h = (int)p["h"];
                var w1 = randn(new long[] { h, d }, generator: g).div_(Math.Sqrt(d));
                var w2 = randn(new long[] { k, h }, generator: g).div_(Math.Sqrt(h));
                draw = m =>
                {
                    var x = randn(new long[] { m, d }, generator: g);
                    using var scope = NewDisposeScope();
                    var y = x.matmul(w1.t()).relu_().matmul(w2.t()).argmax(1).MoveToOuterDisposeScope();
                    return (x, y);
                };
                names = Enumerable.Range(0, k).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
                break;
            }
            default: // meanfield
            {
                double delta = p["delta"];
                draw = m =>
                {
                    var y = randint(2, new[] { m }, generator: g, dtype: ScalarType.Int64);
                    using var scope = NewDisposeScope();
                    // s = 2y - 1 in {-1, +1}; scale 1 + s delta.
                    var scale = y.to(ScalarType.Float32).mul(2 * delta).add_(1 - delta).unsqueeze(1);
                    var x = randn(new long[] { m, d }, generator: g).mul_(scale).MoveToOuterDisposeScope();
                    return (x, y);
                };
                names = ["-1", "+1"];
                break;
            }
        }
        var (xTrain, yTrain) = draw(n);
        var (xTest, yTest) = draw(nt);
        foreach (var t in new[] { xTrain, yTrain, xTest, yTest }) t.MoveToOuterDisposeScope();
        string tag = spec.Trim();
        return new DataSplit(new Dataset($"{tag}/train", xTrain, yTrain, names), new Dataset($"{tag}/test", xTest, yTest, names), tag);
    }

    private static LossLandscapeException Bad(string spec, string why) =>
        new($"Synthetic data spec '{spec}' is not valid: {why}. Accepted: {Syntax}.");
}

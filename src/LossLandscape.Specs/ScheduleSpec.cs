using System.Globalization;
using LossLandscape.Training;

namespace LossLandscape.Specs;

/// <summary>The text forms of the learning-rate schedules (what their <c>ToString()</c> writes), read back.</summary>
public static class ScheduleSpec
{
    /// <summary>What <see cref="Parse"/> accepts.</summary>
    public const string Syntax =
        "constant, step:M1,M2,...:GAMMA (for example step:30000,40000:0.1), cosine[:MIN], linear[:MIN], " +
        "or warmup:W+SCHEDULE (for example warmup:500+cosine)";

    /// <summary>Parses a schedule (case-insensitive).</summary>
    /// <exception cref="LossLandscapeException">The text is malformed; the message lists what is accepted.</exception>
    public static LearningRateSchedule Parse(string? text)
    {
        var s = (text ?? "constant").Trim().ToLowerInvariant();
        if (s.StartsWith("warmup:", StringComparison.Ordinal))
        {
            int plus = s.IndexOf('+', StringComparison.Ordinal);
            var w = plus < 0 ? s[7..] : s[7..plus];
            if (!long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var steps) || steps < 1)
                throw Malformed(text, $"warm-up length '{w}' is not a positive whole number of steps");
            var inner = plus < 0 ? new ConstantSchedule() : Parse(s[(plus + 1)..]);
            if (inner is WarmupSchedule) throw Malformed(text, "only one warm-up is allowed");
            return new WarmupSchedule(steps, inner);
        }
        if (s is "" or "constant") return new ConstantSchedule();
        var parts = s.Split(':');
        switch (parts[0])
        {
            case "cosine" when parts.Length <= 2:
                return new CosineSchedule(parts.Length == 2 ? Fraction(text, parts[1]) : 0);
            case "linear" when parts.Length <= 2:
                return new LinearSchedule(parts.Length == 2 ? Fraction(text, parts[1]) : 0);
            case "step" when parts.Length == 3:
                var milestones = new List<long>();
                foreach (var m in parts[1].Split(','))
                {
                    if (!long.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1)
                        throw Malformed(text, $"milestone '{m}' is not a positive whole number of steps");
                    milestones.Add(v);
                }
                if (!double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var gamma) || !(gamma > 0))
                    throw Malformed(text, $"factor '{parts[2]}' is not a positive number");
                return new MultiStepSchedule(milestones, gamma);
            default:
                throw Malformed(text, "unknown schedule");
        }
    }

    private static double Fraction(string? text, string s)
    {
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v >= 0 && v <= 1))
            throw Malformed(text, $"minimum factor '{s}' is not a number in [0, 1]");
        return v;
    }

    private static LossLandscapeException Malformed(string? text, string why) =>
        new($"Learning-rate schedule '{text}' is not valid ({why}). Accepted: {Syntax}.");
}

using System.ComponentModel;
using System.Globalization;
using System.Text;
using LossLandscape.Checkpoints;
using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Permutations;
using LossLandscape.Plotting;
using LossLandscape.Specs;
using Spectre.Console;
using Spectre.Console.Cli;
using static LossLandscape.Cli.Commands.ProbeCommandSupport;

namespace LossLandscape.Cli.Commands;

/// <summary>
/// <c>llscape align</c>: permutes the hidden units of the second model (--to) into correspondence with the first
/// (--from), writes the permuted model, and compares the straight line between them before and after.
/// </summary>
public sealed class AlignCommand : Command<AlignCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : TwoModelSettings
    {
        /// <summary>Output checkpoint.</summary>
        [CommandOption("--out <FILE>")]
        [Description("Where to write the aligned second model (.safetensors; it keeps --to's metadata, so probes read it like --to). It computes the same function as --to.")]
        public string? Out { get; init; }

        /// <summary>Method.</summary>
        [CommandOption("--method <METHOD>")]
        [Description("weight (weight matching, no data needed; default) or activation (activation matching on --data).")]
        [DefaultValue("weight")]
        public string Method { get; init; } = "weight";

        /// <summary>Sweeps.</summary>
        [CommandOption("--iterations <N>")]
        [Description("Weight matching: at most N sweeps over the permutation groups (it stops when none improves). Default: 100.")]
        [DefaultValue(100)]
        public int Iterations { get; init; } = 100;

        /// <summary>Line points.</summary>
        [CommandOption("--points <N>")]
        [PlainDescription("Points a in [0, 1] at which the line from --from to --to is evaluated before and after alignment (barriers; BatchNorm statistics recomputed at every point for models with BatchNorm); 0 skips it. Default: 11.")]
        [DefaultValue(11)]
        public int Points { get; init; } = 11;

        /// <inheritdoc />
        public override IEnumerable<OutputPath> Outputs => base.Outputs.Append(new OutputPath("--out", Out, false, ".safetensors"));

        /// <inheritdoc />
        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out FILE.safetensors is required (where the aligned second model goes).");
            return base.Validate();
        }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var method = settings.Method.Trim().ToLowerInvariant() switch
        {
            "weight" or "weights" => AlignmentMethod.Weight,
            "activation" or "activations" => AlignmentMethod.Activation,
            _ => throw new LossLandscapeException($"Alignment method '{settings.Method}' is not known: use weight or activation."),
        };
        if (settings.Iterations < 1) throw new LossLandscapeException($"--iterations {settings.Iterations} is not valid: give at least 1.");
        if (settings.Points is 1 or < 0) throw new LossLandscapeException($"--points {settings.Points} is not valid: give 0 (no line) or at least 2.");
        var options = settings.ToProbeOptions();
        var source = ModelSource.Open(settings.Model, settings.From, "--from");
        source.CheckSameModel(settings.To, "--to");
        var target = ModelSource.Open(source.Spec.Text, settings.To, "--to");
        var runtime = settings.ToRuntimeOptions().Apply();
        var opened = Open(source, settings, runtime);
        using var train = opened.Train;
        using var test = opened.Test;
        using var model = opened.Model;
        PermutationSpec.For(model);   // an architecture that cannot be aligned is refused before the second model is read
        using var other = target.Build(train, $"--data {settings.Data}", runtime, LossSpec.Parse(settings.Loss), test, $"--test-data {settings.TestData}");

        var result = ModelAlignment.Align(model, other, new AlignmentOptions { Method = method, MaxIterations = settings.Iterations, Seed = (int)settings.Seed },
            method == AlignmentMethod.Activation ? BatchSource.FromDataset(train, settings.Chunk) : null);

        LineScanResult? before = null, after = null;
        var space = new ParameterSpace(model);
        var probe = new LandscapeProbe(model, train, test, options, space);
        var alphas = Alphas.Linspace(0, 1, Math.Max(settings.Points, 2));
        using var a = ModelPoint.Capture(space);
        var otherSpace = new ParameterSpace(other);
        if (settings.Points > 0)
        {
            using var b = ModelPoint.Capture(otherSpace);
            before = probe.Interpolate(a, b, alphas);
        }
        result.ApplyTo(other);
        if (settings.Points > 0)
        {
            using var aligned = ModelPoint.Capture(otherSpace);
            after = probe.Interpolate(a, aligned, alphas);
        }
        var metadata = new Dictionary<string, string>(Safetensors.ReadMetadata(settings.To), StringComparer.Ordinal)
        {
            ["aligned_to"] = settings.From,
            ["alignment"] = result.Method,
        };
        Checkpoint.Save(other, settings.Out!, metadata);

        var table = new Table().AddColumns("group", "units", "moved");
        foreach (var (group, size, moved) in result.MovedUnits()) table.AddRow(Markup.Escape(group), size.ToString(CultureInfo.InvariantCulture), moved.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{result.Method} matching: {result.Iterations} sweep(s), similarity {F(result.ObjectiveBefore)} -> {F(result.Objective)}");
        var barriersBefore = before is null ? null : LineScanBarriers.AboveMeanOfEnds(before);
        var barriersAfter = after is null ? null : LineScanBarriers.AboveMeanOfEnds(after);
        if (barriersBefore is not null && barriersAfter is not null)
        {
            AnsiConsole.MarkupLine($"line barrier (max - mean of ends), train loss: before {F(barriersBefore.TrainLoss)}, after {F(barriersAfter.TrainLoss)}; train error: before {F(barriersBefore.TrainError)}, after {F(barriersAfter.TrainError)}");
            if (barriersBefore.TestError is not null)
                AnsiConsole.MarkupLine($"line barrier, test loss: before {F(barriersBefore.TestLoss)}, after {F(barriersAfter.TestLoss)}; test error: before {F(barriersBefore.TestError)}, after {F(barriersAfter.TestError)}");
            AnsiConsole.MarkupLine($"BatchNorm: {before!.BatchNorm}");
        }
        AnsiConsole.MarkupLine($"aligned model: {Markup.Escape(settings.Out!)}");
        WriteOutputs(settings, new
        {
            command = "align", model = source.Spec.Text, from = settings.From, to = settings.To, @out = settings.Out, data = settings.Data, testData = settings.TestData,
            method = result.Method, iterations = result.Iterations, similarityBefore = result.ObjectiveBefore, similarity = result.Objective,
            groups = result.MovedUnits().Select((g, i) => new { name = g.Group, units = g.Size, moved = g.Moved, permutation = result.Permutations[i] }),
            barrierDefinition = "max over the line minus the mean of the two ends",
            barriers = barriersBefore is null ? null : new { before = barriersBefore, after = barriersAfter }, before, after,
        }, before is null ? null : () => Csv(before, after!), before is null ? null : path => Plot(before, after!, path));
        return 0;
    }

    private static string Csv(LineScanResult before, LineScanResult after)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("alpha,train_loss_before,train_loss_after,train_accuracy_before,train_accuracy_after,test_loss_before,test_loss_after,test_accuracy_before,test_accuracy_after\n");
        for (int k = 0; k < before.Points.Count; k++)
        {
            var p = before.Points[k];
            var q = after.Points[k];
            sb.AppendLine(string.Join(",", new double?[] { p.Alpha, p.Loss, q.Loss, p.Accuracy, q.Accuracy, p.TestLoss, q.TestLoss, p.TestAccuracy, q.TestAccuracy }
                .Select(v => v is double d ? d.ToString("R", inv) : "")));
        }
        return sb.ToString();
    }

    private static void Plot(LineScanResult before, LineScanResult after, string path)
    {
        var x = before.Points.Select(p => p.Alpha).ToArray();
        var series = new List<Series>
        {
            new("before alignment, train", x, before.Points.Select(p => p.Loss).ToArray(), Color: 3),
            new("after alignment, train", x, after.Points.Select(p => p.Loss).ToArray(), Color: 0),
        };
        if (before.Points[0].TestLoss is not null)
        {
            series.Add(new("before alignment, test", x, before.Points.Select(p => p.TestLoss ?? double.NaN).ToArray(), Dashed: true, Color: 3));
            series.Add(new("after alignment, test", x, after.Points.Select(p => p.TestLoss ?? double.NaN).ToArray(), Dashed: true, Color: 0));
        }
        Charts.Lines(series, new ChartOptions("loss on the line from --from to --to, before and after permutation alignment", "a", "loss"), path);
    }
}

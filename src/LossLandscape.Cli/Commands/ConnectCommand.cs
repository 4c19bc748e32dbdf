using System.ComponentModel;
using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using Spectre.Console;
using Spectre.Console.Cli;
using static LossLandscape.Cli.Commands.ProbeCommandSupport;

namespace LossLandscape.Cli.Commands;

/// <summary><c>llscape connect</c>: a low-loss path between two minima, against the straight line.</summary>
public sealed class ConnectCommand : Command<ConnectCommand.Settings>
{
    /// <summary>Options.</summary>
    public sealed class Settings : TwoModelSettings
    {
        /// <summary>Method.</summary>
        [CommandOption("--method <METHOD>")]
        [Description("bezier (quadratic Bezier with a trained middle point, default), string (string method with fixed ends) or autoneb (nudged band with pivots inserted where the loss is highest, Draxler et al. 2018).")]
        [DefaultValue("bezier")]
        public string Method { get; init; } = "bezier";

        /// <summary>Steps.</summary>
        [CommandOption("--steps <N>")]
        [Description("Optimization steps. Default: 200.")]
        [DefaultValue(200)]
        public int Steps { get; init; } = 200;

        /// <summary>Learning rate.</summary>
        [CommandOption("--lr <RATE>")]
        [Description("Learning rate: Adam's step for the Bezier middle point (default 0.001: Adam moves every coordinate by about this much per step, so keep it well below the weights' scale), the gradient step of the string's images (default 0.05), or the first cycle's step of AutoNEB's SGD with momentum 0.9 (default 0.01).")]
        public double? LearningRate { get; init; }

        /// <summary>Batch size.</summary>
        [CommandOption("--batch-size <N>")]
        [Description("Minibatch per step (a contiguous window at a random offset). Default: the whole training set.")]
        public long? BatchSize { get; init; }

        /// <summary>Images.</summary>
        [CommandOption("--images <N>")]
        [Description("Interior images of the string, or the most interior pivots AutoNEB inserts. Default: 8.")]
        [DefaultValue(8)]
        public int Images { get; init; } = 8;

        /// <summary>AutoNEB cycles.</summary>
        [CommandOption("--cycles <N>")]
        [Description("AutoNEB: cycles (the steps are split over them; the rate halves each cycle, pivots are inserted after each but the last). Default: 4.")]
        [DefaultValue(4)]
        public int Cycles { get; init; } = 4;

        /// <summary>Evaluation points.</summary>
        [CommandOption("--points <N>")]
        [PlainDescription("Points t in [0, 1] at which line and path are evaluated. Default: 21.")]
        [DefaultValue(21)]
        public int Points { get; init; } = 21;
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var method = settings.Method.Trim().ToLowerInvariant() switch
        {
            "bezier" => PathMethod.Bezier,
            "string" or "neb" => PathMethod.String,
            "autoneb" => PathMethod.AutoNeb,
            _ => throw new LossLandscapeException($"Path method '{settings.Method}' is not known: use bezier, string or autoneb."),
        };
        var options = settings.ToProbeOptions();
        var source = ModelSource.Open(settings.Model, settings.From, "--from");
        source.CheckSameModel(settings.To, "--to");
        var runtime = settings.ToRuntimeOptions().Apply();
        var opened = Open(source, settings, runtime);
        using var train = opened.Train;
        using var test = opened.Test;
        using var model = opened.Model;
        var space = new ParameterSpace(model);
        var a = PointOf(model, space, settings.From);
        var b = PointOf(model, space, settings.To);
        var probe = new LandscapeProbe(model, train, test, options, space);
        using var r = PathFinder.Connect(probe, a.Theta, b.Theta, new PathOptions
        {
            Method = method, Steps = settings.Steps, LearningRate = settings.LearningRate ?? method switch { PathMethod.Bezier => 0.001, PathMethod.String => 0.05, _ => 0.01 },
            BatchSize = settings.BatchSize, Images = settings.Images, Cycles = settings.Cycles, EvaluationPoints = settings.Points, Seed = (int)settings.Seed,
        });
        var table = new Table().AddColumns("t", "line loss", "line accuracy", $"{r.Method} loss", $"{r.Method} accuracy");
        for (int k = 0; k < r.Path.Count; k++)
            table.AddRow(F(r.Path[k].T), F(r.Line[k].Loss), F(r.Line[k].Accuracy), F(r.Path[k].Loss), F(r.Path[k].Accuracy));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"barrier: line {F(r.LineBarrier)}, {r.Method} {F(r.PathBarrier)}; BatchNorm: {r.BatchNorm}");
        WriteOutputs(settings, new { command = "connect", model = source.Spec.Text, from = settings.From, to = settings.To, data = settings.Data, testData = settings.TestData, result = r },
            () => LandscapeFiles.PathCsv(r), path => LandscapePlots.Path(r, path));
        return 0;
    }
}

using System.Reflection;
using LossLandscape;
using LossLandscape.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace LossLandscape.Cli;

/// <summary>Entry point of <c>llscape</c>.</summary>
public static class Program
{
    /// <summary>Exit code: success.</summary>
    public const int Ok = 0;
    /// <summary>Exit code: the computation failed.</summary>
    public const int Failure = 1;
    /// <summary>Exit code: bad usage or bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Runs the command line.</summary>
    public static int Main(string[] args) => Run(args, null, null);

    /// <summary>Runs the command line with the given consoles (tests pass their own).</summary>
    public static int Run(string[] args, IAnsiConsole? console, IAnsiConsole? errorConsole)
    {
        Arguments = args;
        Error = errorConsole ?? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("llscape");
            config.SetApplicationVersion(Version);
            config.PropagateExceptions();
            config.UseStrictParsing();
            config.SetInterceptor(new OutputPreflight());
            if (console is not null) config.ConfigureConsole(console);
            config.ValidateExamples();
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train a model (SGD, momentum, GD, noise, schedules); writes checkpoints, history and options.json.")
                .WithExample("train", "--model", "mlp:784-500-300-10", "--data", "fashion-mnist", "--epochs", "1", "--out", "runs/mlp");
            config.AddBranch("model", model =>
            {
                model.SetDescription("Inspect model specs.");
                model.AddCommand<ModelInfoCommand>("info")
                    .WithDescription("Print a model's layers and parameter count.")
                    .WithExample("model", "info", "mlp:784-500-300-10");
            });
            config.AddCommand<InterpolateCommand>("interpolate")
                .WithDescription("Loss and accuracy along the line between two models (extrapolation included); --shard i/n for one shard.");
            config.AddCommand<SurfaceCommand>("surface")
                .WithDescription("Loss on a plane around a model (filter-normalized, random, given directions or three models); --shard i/n for one shard.");
            config.AddCommand<BarriersCommand>("barriers")
                .WithDescription("The same-basin barrier matrix of several models: the line between every pair and its loss and error barriers; --shard i/n for one shard.")
                .WithExample("barriers", "--model", "mlp:784-100-10", "--checkpoints", "a.safetensors", "--checkpoints", "b.safetensors", "--checkpoints", "c.safetensors", "--data", "fashion-mnist", "--json", "barriers.json");
            config.AddCommand<MergeCommand>("merge")
                .WithDescription("Merge the shards of a surface, an interpolation, a barrier matrix, a trace or a density into what one process computes; or summarize training runs that differ only in their seed.");
            config.AddBranch("slurm", slurm =>
            {
                slurm.SetDescription("Run a command on a Slurm cluster as a job array plus a merge job.");
                slurm.AddCommand<SlurmSubmitCommand>("submit")
                    .WithDescription("llscape slurm submit [[OPTIONS]] -- COMMAND ...: split the command into a Slurm job array (task i computes part i of n) and a merge job that runs after it succeeded; prints the job ids. Splits: " + SlurmSubmitCommand.Splittable + ".")
                    .WithExample("slurm", "submit", "--tasks", "16", "--dir", "jobs/surface", "--time", "02:00:00", "--", "surface", "--model", "mlp:784-100-10", "--checkpoint", "model.safetensors", "--data", "fashion-mnist", "--json", "surface.json");
            });
            config.AddCommand<ConnectCommand>("connect")
                .WithDescription("A low-loss path between two minima (Bezier, string method or AutoNEB) against the straight line.");
            config.AddCommand<AlignCommand>("align")
                .WithDescription("Permute the second model's hidden units into correspondence with the first (Git Re-Basin weight or activation matching); writes the aligned model and the line barrier before and after.")
                .WithExample("align", "--from", "a/model.safetensors", "--to", "b/model.safetensors", "--data", "fashion-mnist", "--out", "b-aligned.safetensors");
            config.AddCommand<SharpnessCommand>("sharpness")
                .WithDescription("Keskar et al.'s epsilon-sharpness of a model.");
            config.AddCommand<TrajectoryCommand>("trajectory")
                .WithDescription("A training run's checkpoints on their top-2 PCA plane with the loss underneath.");
            config.AddBranch("data", data =>
            {
                data.SetDescription("Inspect data sets.");
                data.AddCommand<DataInfoCommand>("info")
                    .WithDescription("Print a data set's train/test counts, shapes, class histogram and where its files were found.")
                    .WithExample("data", "info", "fashion-mnist")
                    .WithExample("data", "info", "cifar10", "--data-dir", "/data");
            });
            config.AddCommand<SpectrumCommand>("spectrum")
                .WithDescription("Top/bottom eigenvalues of the Hessian, Gauss-Newton or residual operator (Lanczos or power iteration).")
                .WithExample("spectrum", "--model", "mlp:784-100-10", "--checkpoint", "w.safetensors", "--data", "train.safetensors", "--top", "10");
            config.AddCommand<DensityCommand>("density")
                .WithDescription("Eigenvalue density by stochastic Lanczos quadrature.")
                .WithExample("density", "--model", "mlp:784-100-10", "--checkpoint", "w.safetensors", "--data", "train.safetensors");
            config.AddCommand<TraceCommand>("trace")
                .WithDescription("Hutchinson trace estimate with a confidence interval, and per-parameter traces.")
                .WithExample("trace", "--model", "mlp:784-100-10", "--checkpoint", "w.safetensors", "--data", "train.safetensors");
        });

        bool verbose = args.Contains("--verbose");
        try
        {
            return app.Run(SpreadLists(args));
        }
        catch (CommandAppException ex)
        {
            if (ConversionMessage(ex.Message, args) is string message)
                return Report(new LossLandscapeException(message, ex), BadInput, verbose, "usage");
            return Report(ex, BadInput, verbose, "usage");
        }
        catch (LossLandscapeException ex)
        {
            return Report(ex, BadInput, verbose, "error");
        }
        catch (OperationCanceledException ex)
        {
            return Report(ex, Failure, verbose, "cancelled");
        }
        catch (Exception ex)
        {
            return Report(ex, Failure, verbose, "failed");
        }
    }

    /// <summary>The options that take several values after one flag (<c>--checkpoints A B C</c>).</summary>
    internal static readonly string[] ListOptions = { "--checkpoints" };

    /// <summary>
    /// <paramref name="args"/> with each list option's values spread into one flag per value (<c>--checkpoints A B</c> becomes
    /// <c>--checkpoints A --checkpoints B</c>, which the parser reads as an array), up to the first <c>--</c>: a value list
    /// ends at the next word that starts with a dash.
    /// </summary>
    internal static string[] SpreadLists(IReadOnlyList<string> args)
    {
        var result = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                result.AddRange(args.Skip(i));
                break;
            }
            result.Add(a);
            if (!ListOptions.Contains(a)) continue;
            int values = 0;
            while (i + 1 < args.Count && !args[i + 1].StartsWith('-'))
            {
                if (values++ > 0) result.Add(a);
                result.Add(args[++i]);
            }
        }
        return result.ToArray();
    }

    /// <summary>The command line of the current run (commands that pass words on to another command read it).</summary>
    internal static string[] Arguments { get; private set; } = Array.Empty<string>();

    /// <summary>Where errors go (standard error unless a test says otherwise).</summary>
    internal static IAnsiConsole Error { get; private set; } = AnsiConsole.Console;

    /// <summary>The tool's version (informational version without build metadata).</summary>
    public static string Version
    {
        get
        {
            var v = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            int plus = v.IndexOf('+', StringComparison.Ordinal);
            return plus >= 0 ? v[..plus] : v;
        }
    }

    /// <summary>
    /// Spectre says "Failed to convert 'abc' to Int32." without the option; this names the option (the argument before
    /// the value) and the kind of number it takes.
    /// </summary>
    internal static string? ConversionMessage(string message, IReadOnlyList<string> args)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Failed to convert '(.*)' to (\w+)\.?$");
        if (!m.Success) return null;
        var value = m.Groups[1].Value;
        var kind = m.Groups[2].Value switch
        {
            "Int32" => $"a whole number from {int.MinValue} to {int.MaxValue}",
            "Int64" => "a whole number",
            "Double" or "Single" => "a number such as 0.5 or 1e-3",
            var t => $"a value of type {t}",
        };
        string? option = null;
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == value && i > 0 && args[i - 1].StartsWith("--", StringComparison.Ordinal)) { option = args[i - 1]; break; }
            if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].EndsWith("=" + value, StringComparison.Ordinal)) { option = args[i][..args[i].IndexOf('=', StringComparison.Ordinal)]; break; }
        }
        return option is null ? $"'{value}' is not {kind}." : $"{option} '{value}' is not valid: give {kind}.";
    }

    private static int Report(Exception ex, int code, bool verbose, string label)
    {
        var err = Error;
        err.MarkupLine($"[red]{label}:[/] {Markup.Escape(LibraryTerms.Translate(ex.Message))}");
        if (verbose) err.WriteException(ex);
        else if (code == BadInput && label == "usage") err.MarkupLine("Run [bold]llscape --help[/] for the commands and options.");
        return code;
    }
}

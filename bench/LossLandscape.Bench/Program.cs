namespace LossLandscape.Bench;

/// <summary>
/// Benchmarks, one subcommand each: <c>dotnet run -c Release --project bench/LossLandscape.Bench -- NAME [args]</c>.
/// Each prints its measurements and the ratios against a baseline measured in the same run.
/// </summary>
public static class Program
{
    private static readonly Dictionary<string, (string Help, Func<string[], int> Run)> Commands = new(StringComparer.Ordinal)
    {
        ["data"] = ("reading Fashion-MNIST; shift + flip + normalize vs a training step of a small ResNet", DataBench.Run),
        ["train"] = ("a trainer step vs a hand-written TorchSharp loop (MLP, ResNet-20); ResNet-56 images/s", TrainBench.Run),
        ["curvature"] = ("HVP vs hand-written double backward and vs a gradient; memory vs batch size; Lanczos vs power (parts: memory, lanczos, hvp-glibc, hvp)", args => { CurvatureBench.Run(args); return 0; }),
        ["spectrum"] = ("a whole Lanczos run vs applications x one HVP; applications to 1e-6 vs the full basis; peak memory (parts: overhead, overhead-default, applications, memory; --images N for the last two, --rounds R for the first two)", SpectrumBench.Run),
        ["landscape"] = ("a grid point vs one forward pass over the evaluation data", LandscapeBench.Run),
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Commands.TryGetValue(args[0], out var command))
        {
            Console.Error.WriteLine("usage: LossLandscape.Bench COMMAND [args]");
            foreach (var (name, (help, _)) in Commands) Console.Error.WriteLine($"  {name,-8} {help}");
            return args.Length == 0 ? 0 : 2;
        }
        return command.Run(args[1..]);
    }
}

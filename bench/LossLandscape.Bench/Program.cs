namespace LossLandscape.Bench;

/// <summary>Benchmark dispatcher: <c>dotnet run -c Release --project bench/LossLandscape.Bench -- landscape</c>.</summary>
public static class Program
{
    /// <summary>Runs the benchmark named by the first argument.</summary>
    public static int Main(string[] args)
    {
        var name = args.Length > 0 ? args[0] : "";
        switch (name)
        {
            case "landscape":
                return LandscapeBench.Run(args[1..]);
            default:
                Console.Error.WriteLine("usage: LossLandscape.Bench landscape [--samples N] [--repeats N]");
                return 2;
        }
    }
}

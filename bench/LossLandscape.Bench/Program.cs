namespace LossLandscape.Bench;

/// <summary>Benchmarks, one per area: <c>dotnet run -c Release --project bench/LossLandscape.Bench -- curvature</c>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        switch (args.Length > 0 ? args[0] : "")
        {
            case "curvature":
                CurvatureBench.Run(args[1..]);
                return 0;
            default:
                Console.Error.WriteLine("usage: LossLandscape.Bench curvature [hvp|memory|lanczos]...");
                return 2;
        }
    }
}

namespace LossLandscape.Cli;

/// <summary>
/// Turns the library's own terms in its messages (option properties such as <c>TrainingOptions.Steps</c>) into the
/// command line's flags, so that a message printed by <c>llscape</c> names what the user can type. The library speaks
/// its own types; this is the one place where the CLI translates them.
/// </summary>
internal static class LibraryTerms
{
    private static readonly (string Library, string Cli)[] Terms =
    {
        ("(TrainingOptions.Steps or TrainingOptions.Epochs)", "(--steps N or --epochs E)"),
        ("TrainingOptions.SwitchBatchSizeAt", "--switch-batch-size-at"),
        ("TrainingOptions.SecondBatchSize", "--second-batch-size"),
        ("(Trainer.Resume continues from it)", "(resume with --resume)"),
        ("the run folder (the Trainer's runDirectory)", "the run folder (--out)"),
        ("(CheckpointLoadOptions.AllowNonFinite accepts such weights)", "(no command loads such weights: retrain, or resume from an earlier checkpoint)"),
        ("DataCatalogOptions.AllowDownload off, or ", "--offline or "),
        ("give its folder as DataCatalogOptions.DataDir", "pass --data-dir DIR"),
        ("DataCatalogOptions.DataDir", "--data-dir"),
        ("(written by LandscapeFiles from LandscapeProbe.ScanShard)", "(written by llscape surface --shard)"),
        ("(written by LandscapeFiles from a sharded line scan)", "(written by llscape interpolate --shard)"),
        ("compute those shards and merge again", "compute them with --shard and merge again"),
        ("Use the device cpu, or build", "Use --device cpu, or build"),
    };

    /// <summary><paramref name="message"/> with every library term replaced by its command-line spelling.</summary>
    public static string Translate(string? message)
    {
        if (string.IsNullOrEmpty(message)) return message ?? "";
        foreach (var (library, cli) in Terms) message = message.Replace(library, cli, StringComparison.Ordinal);
        return message;
    }
}

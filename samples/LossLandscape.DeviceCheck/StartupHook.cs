using LossLandscape.DeviceCheck;

/// <summary>
/// A .NET startup hook (<c>DOTNET_STARTUP_HOOKS=/path/LossLandscape.DeviceCheck.dll</c>): before a program's Main runs,
/// binds TorchSharp to the LibTorchSharp and libtorch that <see cref="TorchNativeBinding.LibTorchSharpVariable"/> and
/// <see cref="TorchNativeBinding.LibTorchDirVariable"/> name. The bundle's llscape and figures wrappers use it, so those
/// programs run unchanged against a libtorch that is not in their build. Does nothing when the first variable is unset.
/// </summary>
/// <remarks>The runtime finds the hook by this exact shape: a class named StartupHook in no namespace, with a public static void Initialize().</remarks>
internal static class StartupHook
{
    /// <summary>Called by the runtime before Main.</summary>
    public static void Initialize()
    {
        var report = TorchNativeBinding.BindFromEnvironment();
        if (report is null || report.Loaded) return;
        Console.Error.WriteLine($"error: {report.Describe()}");
        Console.Error.WriteLine($"fix: point {TorchNativeBinding.LibTorchDirVariable} at a folder holding libtorch_cpu.so (a PyTorch install's torch/lib) and {TorchNativeBinding.LibTorchSharpVariable} at a libLibTorchSharp.so built for that libtorch (see the README, \"On a GPU machine\").");
        Environment.Exit(2);
    }
}

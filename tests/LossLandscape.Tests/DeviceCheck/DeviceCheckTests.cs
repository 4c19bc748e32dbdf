using System.Reflection;
using LossLandscape.DeviceCheck;

namespace LossLandscape.Tests.DeviceCheck;

/// <summary>The GPU bundle's check program: the parts that need no GPU and no bundle (the bundle itself is run by .ci/gpu/self-test).</summary>
public class DeviceCheckTests
{
    private const string Lib = "/b/native/libLibTorchSharp.so";

    [Fact]
    public void LinkReportParse_ReadsMissingLibrariesVersionsAndOnlyThisLibrarysUndefinedSymbols()
    {
        const string ldd = """
        	linux-vdso.so.1 (0x00007ffd)
        	libtorch.so => /t/lib/libtorch.so (0x00007f)
        	libc10_cuda.so => not found
        /b/native/libLibTorchSharp.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /b/native/libLibTorchSharp.so)
        /t/lib/libother.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.33' not found (required by /t/lib/libother.so)
        undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jRKSs	(/b/native/libLibTorchSharp.so)
        undefined symbol: _ZN2at4_ops3add4callERKNS_6TensorES4_RKN3c106ScalarE, version X	(/b/native/libLibTorchSharp.so)
        undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jRKSs	(/b/native/libLibTorchSharp.so)
        undefined symbol: _Z5otherv	(/t/lib/libtorch_cuda.so)
        """;
        var (missing, symbols) = LinkReport.Parse(ldd, Lib);
        missing.Should().Equal("libc10_cuda.so", "/lib/x86_64-linux-gnu/libstdc++.so.6 (version GLIBCXX_3.4.32)");
        symbols.Should().Equal("_ZN3c106detail14torchCheckFailEPKcS2_jRKSs", "_ZN2at4_ops3add4callERKNS_6TensorES4_RKN3c106ScalarE");
    }

    [Fact]
    public void LinkReport_IsOkOnlyWithNothingMissing()
    {
        new LinkReport(Lib, true, Array.Empty<string>(), Array.Empty<(string, string)>(), null).Ok.Should().BeTrue();
        new LinkReport(Lib, true, new[] { "libc10.so" }, Array.Empty<(string, string)>(), null).Ok.Should().BeFalse();
        new LinkReport(Lib, true, Array.Empty<string>(), new[] { ("_Z1fv", "f()") }, null).Ok.Should().BeFalse();
        var absent = new LinkReport(Lib, false, Array.Empty<string>(), Array.Empty<(string, string)>(), "ldd is not on PATH");
        absent.Ok.Should().BeFalse();
        absent.ToJson()["note"]!.GetValue<string>().Should().Be("ldd is not on PATH");
    }

    [Fact]
    public void LinkReportRun_FindsNothingMissingForALibraryOfTheSystem()
    {
        if (!OperatingSystem.IsLinux() || ChildProcess.FindOnPath("ldd") is null) return;
        var libc = new[] { "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6" }.FirstOrDefault(File.Exists);
        if (libc is null) return;
        var r = LinkReport.Run(libc, "", TimeSpan.FromSeconds(60));
        r.Available.Should().BeTrue();
        r.Ok.Should().BeTrue();
    }

    [Fact]
    public void AgreementRelative_IsTheNormOfTheDifferenceOverTheReferenceNorm()
    {
        Agreement.Relative(new[] { 3.0, 4.0 }, new[] { 3.0, 4.0 }).Should().Be(0);
        Agreement.Relative(new[] { 3.0, 4.5 }, new[] { 3.0, 4.0 }).Should().BeApproximately(0.5 / 5, 1e-15);
        Agreement.Relative(new[] { 1.0, 0.0 }, new[] { 0.0, 0.0 }).Should().Be(1);
        Agreement.Relative(1.001, 1.0).Should().BeApproximately(1e-3, 1e-12);
        FluentActions.Invoking(() => Agreement.Relative(new[] { 1.0 }, new[] { 1.0, 2.0 })).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void AgreementTolerance_IsTenTimesTheFloat32ErrorWithAFloor()
    {
        Agreement.Tolerance(1e-4).Should().BeApproximately(1e-3, 1e-18);
        Agreement.Tolerance(1e-9).Should().Be(Agreement.Floor);
        Agreement.Tolerance(0).Should().Be(Agreement.Floor);
    }

    [Fact]
    public void AgreementSpectral_MeasuresOnTheScaleOfTheLargestEigenvalue()
    {
        var reference = new[] { 10.0, 2.0, -0.001 };
        Agreement.Spectral(reference, reference).Should().Be(0);
        Agreement.Spectral(new[] { 10.0, 2.0, 0.001 }, reference).Should().BeApproximately(0.002 / 10, 1e-15);
        Agreement.Spectral(new[] { 10.5, 2.0, -0.001 }, reference).Should().BeApproximately(0.05, 1e-15);
        FluentActions.Invoking(() => Agreement.Spectral(Array.Empty<double>(), Array.Empty<double>())).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void LibTorchLocation_ReadsThePythonAnswerAndKeepsTorchLibFirst()
    {
        using var dir = new TempDir();
        var lib = Path.Combine(dir.Path, "torch", "lib");
        Directory.CreateDirectory(lib);
        File.WriteAllBytes(Path.Combine(lib, "libtorch_cpu.so"), Array.Empty<byte>());
        var answer = "some warning\n{\"lib\": \"" + lib + "\", \"version\": \"2.11.0+cu130\", \"cuda\": \"13.0\", \"cmake\": \"/site/torch/share/cmake\", " +
                     "\"dirs\": [\"/site/nvidia/cu13/lib\", \"" + lib + "\"], \"device\": \"NVIDIA H200\"}\n";
        var l = LibTorchLocation.ParsePythonAnswer(answer, "python3");
        l.Dir.Should().Be(lib);
        l.Version.Should().Be("2.11.0+cu130");
        l.CudaVersion.Should().Be("13.0");
        l.CMakePrefix.Should().Be("/site/torch/share/cmake");
        l.LibraryDirs.Should().Equal(lib, "/site/nvidia/cu13/lib");
        l.DeviceName.Should().Be("NVIDIA H200");
        FluentActions.Invoking(() => LibTorchLocation.ParsePythonAnswer("Traceback: no module named torch", "python3"))
            .Should().Throw<LossLandscapeException>().WithMessage("*--libtorch DIR*");
    }

    [Fact]
    public void LibTorchLocationFromFolder_AcceptsTheFolderOrItsLibAndNamesTheFixOtherwise()
    {
        using var dir = new TempDir();
        FluentActions.Invoking(() => LibTorchLocation.FromFolder(dir.Path)).Should().Throw<LossLandscapeException>()
            .WithMessage("*holds no libtorch_cpu.so*torch/lib*");
        var lib = Path.Combine(dir.Path, "lib");
        Directory.CreateDirectory(lib);
        File.WriteAllBytes(Path.Combine(lib, "libtorch_cpu.so"), Array.Empty<byte>());
        LibTorchLocation.FromFolder(dir.Path).Dir.Should().Be(lib);
        LibTorchLocation.FromFolder(lib).LibraryDirs.Should().Equal(lib);
    }

    [Fact]
    public void Bind_ReportsWhichLibraryFailedInsteadOfThrowing()
    {
        using var dir = new TempDir();
        var missingDir = TorchNativeBinding.Bind(Lib, Path.Combine(dir.Path, "nowhere"));
        missingDir.Loaded.Should().BeFalse();
        missingDir.Describe().Should().Contain("does not exist");

        var empty = TorchNativeBinding.Bind(Lib, dir.Path);
        empty.Loaded.Should().BeFalse();
        empty.Steps.Should().ContainSingle(s => s.Status == "failed").Which.Error.Should().Contain("libc10.so is not in");

        File.WriteAllText(Path.Combine(dir.Path, "libc10.so"), "not a library");
        var broken = TorchNativeBinding.Bind(Lib, dir.Path);
        broken.Loaded.Should().BeFalse();
        broken.Describe().Should().StartWith($"could not load {Path.Combine(dir.Path, "libc10.so")}");
        broken.ToJson()["loaded"]!.GetValue<bool>().Should().BeFalse();
    }

    [Fact]
    public void StartupHook_HasTheShapeTheRuntimeLooksFor()
    {
        var hook = typeof(TorchNativeBinding).Assembly.GetType("StartupHook");
        hook.Should().NotBeNull("the runtime looks for a class named StartupHook in no namespace");
        var init = hook!.GetMethod("Initialize", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes);
        init.Should().NotBeNull();
        init!.ReturnType.Should().Be(typeof(void));
    }

    [Fact]
    public void ChildProcess_KeepsOutputExitStatusAndStopsAtTheLimit()
    {
        if (!OperatingSystem.IsLinux()) return;
        var r = ChildProcess.Run("/bin/sh", new[] { "-c", "echo out; echo \"$LLSCAPE_T\" >&2; exit 3" },
            new Dictionary<string, string?> { ["LLSCAPE_T"] = "from env" }, TimeSpan.FromSeconds(30));
        r.ExitCode.Should().Be(3);
        r.Stdout.Trim().Should().Be("out");
        r.Describe().Should().Be("exit status 3: from env");
        var slow = ChildProcess.Run("/bin/sh", new[] { "-c", "sleep 20" }, null, TimeSpan.FromMilliseconds(300));
        slow.TimedOut.Should().BeTrue();
        slow.Seconds.Should().BeLessThan(15);
        ChildProcess.Run("/nonexistent/program", Array.Empty<string>(), null, TimeSpan.FromSeconds(5)).ExitCode.Should().Be(-1);
    }

    [Fact]
    public void DiedInNativeCode_IsASignalOrTheLoadersSymbolError()
    {
        CheckRunner.DiedInNativeCode(new ChildResult(134, false, 1, "", "terminate called after throwing an instance of 'c10::Error'")).Should().BeTrue();
        CheckRunner.DiedInNativeCode(new ChildResult(127, false, 1, "", "dotnet: symbol lookup error: /b/libLibTorchSharp.so: undefined symbol: _ZN2at4_ops")).Should().BeTrue();
        CheckRunner.DiedInNativeCode(new ChildResult(1, false, 1, "", "error: the CPU result is off")).Should().BeFalse();
        CheckRunner.DiedInNativeCode(new ChildResult(137, true, 600, "", "")).Should().BeFalse("a run stopped at its time limit did not crash");
    }

    [Fact]
    public void CheckOptions_RejectBadValuesWithOneClearMessage()
    {
        var o = CheckOptions.Parse(new[] { "--libtorch", "/t/lib", "--budget", "300", "--rebuild", "never", "--quick", "--require-cuda" });
        o.LibTorch.Should().Be("/t/lib");
        o.Budget.Should().Be(300);
        o.Rebuild.Should().Be("never");
        o.Quick.Should().BeTrue();
        o.RequireCuda.Should().BeTrue();
        FluentActions.Invoking(() => CheckOptions.Parse(new[] { "--budget", "5" })).Should().Throw<LossLandscapeException>().WithMessage("*between 30 and 3600*");
        FluentActions.Invoking(() => CheckOptions.Parse(new[] { "--rebuild", "sometimes" })).Should().Throw<LossLandscapeException>().WithMessage("*auto, never or always*");
        FluentActions.Invoking(() => CheckOptions.Parse(new[] { "--out" })).Should().Throw<LossLandscapeException>().WithMessage("--out needs a value*");
        FluentActions.Invoking(() => CheckOptions.Parse(new[] { "--gpu" })).Should().Throw<LossLandscapeException>().WithMessage("Unknown option '--gpu'*");
    }

    [Fact]
    public void Main_AnswersBadInputWithExitCode2()
    {
        LossLandscape.DeviceCheck.Program.Main(new[] { "frobnicate" }).Should().Be(2);
        LossLandscape.DeviceCheck.Program.Main(new[] { "run", "--budget", "1" }).Should().Be(2);
        LossLandscape.DeviceCheck.Program.Main(new[] { "run", "--bundle", "/nonexistent/bundle" }).Should().Be(2);
        LossLandscape.DeviceCheck.Program.Main(new[] { "stage", "load" }).Should().Be(2);
    }

    [Fact]
    public void ShellQuote_SurvivesQuotesAndSpaces()
    {
        ShellEnvironment.Quote("/a b/c").Should().Be("'/a b/c'");
        ShellEnvironment.Quote("it's").Should().Be("'it'\\''s'");
    }

    [Fact]
    public void PythonQuery_AsksForEverythingTheCheckReads()
    {
        foreach (var key in new[] { "'lib'", "'version'", "'cuda'", "'cmake'", "'dirs'", "'device'", "import torch", "cmake_prefix_path" })
            LibTorchLocation.PythonQuery.Should().Contain(key);
    }

    private sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"llscape-devicecheck-{Guid.NewGuid():N}");
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

using LossLandscape.Tests.Checkpoints;

namespace LossLandscape.Tests.Cli;

/// <summary>
/// Each class of bad input gives exit 2 with one message that names the problem and the fix, and no stack trace
/// (managed or native): help texts, model/checkpoint/data mismatches, outputs that cannot be written, old and new
/// option spellings.
/// </summary>
[Collection("Console")]
public class BadInputTests
{
    /// <summary>Asserts exit 2, exactly one error line, no stack trace, and that the message holds each of <paramref name="parts"/>.</summary>
    internal static void AssertBadInput((int Code, string Out, string Err) r, params string[] parts)
    {
        r.Code.Should().Be(2, r.Err + r.Out);
        var lines = r.Err.Split('\n');
        lines.Count(l => l.StartsWith("error:", StringComparison.Ordinal) || l.StartsWith("usage:", StringComparison.Ordinal) || l.StartsWith("failed:", StringComparison.Ordinal))
            .Should().Be(1, r.Err);
        (r.Err + r.Out).Should().NotContain("   at ").And.NotContain("frame #").And.NotContain("Exception");
        var flat = string.Join(" ", r.Err.Split('\n', StringSplitOptions.TrimEntries));
        foreach (var p in parts) flat.Should().Contain(p);
    }

    /// <summary>A run of llscape train: an MLP on the digits (1x8x8, 10 classes), 3 steps.</summary>
    private static string TrainDigitsMlp()
    {
        var run = Path.Combine(TestUtil.TempDir(), "run");
        var (code, output, err) = CliTests.Run("train", "--model", "mlp:64-8-10", "--data", "digits", "--steps", "3", "--checkpoint-every", "1",
            "--eval-subset", "10", "--out", run);
        code.Should().Be(0, err + output);
        return run;
    }

    [Fact]
    public void ModelOptionThatContradictsTheCheckpoint_NamesBoth()
    {
        var run = TrainDigitsMlp();
        var ckpt = Path.Combine(run, "model.safetensors");
        foreach (var command in new[] { "spectrum", "surface", "sharpness" })
            AssertBadInput(CliTests.Run(command, "--model", "mlp:64-9-10", "--checkpoint", ckpt, "--data", "digits"),
                "--model mlp:64-9-10", ckpt, "records the model mlp:64-8-10");
        AssertBadInput(CliTests.Run("interpolate", "--from", ckpt, "--to", Path.Combine(run, "checkpoints", "step-00000001", "model.safetensors"),
            "--model", "resnet8", "--data", "digits"), "--model resnet8", "mlp:64-8-10");
    }

    [Fact]
    public void CheckpointTrainedOnOtherData_NamesBothShapes()
    {
        var run = TrainDigitsMlp();
        var ckpt = Path.Combine(run, "model.safetensors");
        var other = TrainThenProbeTests.Cifar32File();
        foreach (var command in new[] { "spectrum", "surface" })
            AssertBadInput(CliTests.Run(command, "--checkpoint", ckpt, "--data", other), "1x8x8", "3x32x32", ckpt, "give the data the model was trained on");
        AssertBadInput(CliTests.Run("interpolate", "--from", ckpt, "--to", ckpt, "--data", other), "1x8x8", "3x32x32");
    }

    [Fact]
    public void ModelThatDoesNotFitTheData_IsRefusedBeforeLibtorch()
    {
        // A PyTorch-style checkpoint (no metadata) of mlp:20-16-4 against 1x28x28 images with 10 classes.
        var dir = TrainThenProbeTests.FashionMnistDir();
        var ckpt = Path.Combine(TestUtil.TempDir(), "mlp20.safetensors");
        CheckpointTests.WritePyTorchStyle(ckpt, CheckpointTests.PyTorchMlpTensors(20, 16, 4, 3));
        string[] data = ["--data", "fashion-mnist", "--data-dir", dir];
        AssertBadInput(CliTests.Run(["spectrum", "--model", "mlp:20-16-4", "--checkpoint", ckpt, .. data]), "mlp:20-16-4", "--data fashion-mnist", "784");
        AssertBadInput(CliTests.Run(["surface", "--model", "mlp:20-16-4", "--checkpoint", ckpt, .. data]), "mlp:20-16-4", "--data fashion-mnist", "784");
        AssertBadInput(CliTests.Run(["interpolate", "--model", "mlp:20-16-4", "--from", ckpt, "--to", ckpt, .. data]), "mlp:20-16-4", "784");
        // The right input size, the wrong class count.
        var ckpt784 = Path.Combine(TestUtil.TempDir(), "mlp784.safetensors");
        CheckpointTests.WritePyTorchStyle(ckpt784, CheckpointTests.PyTorchMlpTensors(784, 16, 4, 3));
        AssertBadInput(CliTests.Run(["trace", "--model", "mlp:784-16-4", "--checkpoint", ckpt784, .. data]), "mlp:784-16-4", "10 classes");
        // No spec anywhere.
        AssertBadInput(CliTests.Run(["spectrum", "--checkpoint", ckpt, .. data]), "--model is required", "does not record");
    }

    [Fact]
    public void OutputThatCannotBeWritten_IsFoundBeforeAnyComputation()
    {
        var run = TrainDigitsMlp();
        var ckpt = Path.Combine(run, "model.safetensors");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "digits", "--json", "/proc/x/y.json"), "--json '/proc/x/y.json'", "cannot be written");
        AssertBadInput(CliTests.Run("surface", "--checkpoint", ckpt, "--data", "digits", "--csv", Path.Combine(ckpt, "x.csv")), "--csv", "is a file");
        AssertBadInput(CliTests.Run("interpolate", "--from", ckpt, "--to", ckpt, "--data", "digits", "--plot", Path.Combine(run, "line.pdf")), "--plot", ".png or .svg");
        AssertBadInput(CliTests.Run("sharpness", "--checkpoint", ckpt, "--data", "digits", "--json", run), "--json", "is a folder");
        AssertBadInput(CliTests.Run("density", "--checkpoint", ckpt, "--data", "digits", "--plot", "/proc/d.png"), "--plot", "cannot be written");
        AssertBadInput(CliTests.Run("merge", "a.json", "--json", "/proc/m.json"), "--json", "cannot be written");
        AssertBadInput(CliTests.Run("train", "--model", "mlp:64-8-10", "--data", "digits", "--steps", "1", "--out", Path.Combine(ckpt, "sub")), "--out", "is a file");
        AssertBadInput(CliTests.Run("surface", "--checkpoint", ckpt, "--data", "digits", "--json", Path.Combine(run, "a.json"), "--csv", Path.Combine(run, "a.json")), "both name");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "the checks come before the work");
    }

    [Fact]
    public void OldOptionSpellings_StillWork_AndContradictionsAreErrors()
    {
        var run = TrainDigitsMlp();
        var ckpt = Path.Combine(run, "model.safetensors");
        var (code, output, err) = CliTests.Run("trace", "--weights", ckpt, "--data", "digits", "--first", "5", "--probes", "4", "--batch-size", "3", "--bn-mode", "eval");
        code.Should().Be(0, err);
        output.Should().Contain("5 examples");
        (code, _, err) = CliTests.Run("surface", "--checkpoint", ckpt, "--data", "digits", "--subset", "10", "--chunk", "4", "--x-range", "0:1:2", "--y-range", "0:1:2");
        code.Should().Be(0, err);
        AssertBadInput(CliTests.Run("trace", "--checkpoint", ckpt, "--weights", Path.Combine(run, "other.safetensors"), "--data", "digits"), "--checkpoint", "--weights", "old spelling");
        AssertBadInput(CliTests.Run("surface", "--checkpoint", ckpt, "--data", "digits", "--chunk-size", "4", "--chunk", "5"), "--chunk-size 4", "--chunk 5");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "digits", "--bn", "eval", "--bn-mode", "train"), "--bn", "--bn-mode");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "digits", "--subset", "10", "--first", "5"), "--subset 10", "--first 5");
        AssertBadInput(CliTests.Run("surface", "--checkpoint", ckpt, "--data", "digits", "--first", "0"), "--first 0");
    }

    [Fact]
    public void OtherMistakes_ExitTwoWithOneMessage()
    {
        var run = TrainDigitsMlp();
        var ckpt = Path.Combine(run, "model.safetensors");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", run, "--data", "digits"), "is a folder", "model.safetensors");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", Path.Combine(run, "nope.safetensors"), "--data", "digits"), "does not exist");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", Path.Combine(run, "history.csv"), "--data", "digits"), "not a valid safetensors file");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "imagenet"), "'imagenet' is not known");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "digits", "--subset", "0"), "--subset 0");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "digits", "--device", "gpu"), "Device 'gpu'");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "digits", "--dtype", "float16"), "float16");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "digits", "--top", "abc"), "--top 'abc' is not valid: give a whole number");
        AssertBadInput(CliTests.Run("sharpness", "--checkpoint", ckpt, "--data", "digits", "--epsilon=big"), "--epsilon 'big' is not valid: give a number");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "digits", "--data-dir", Path.Combine(run, "nope")), "--data-dir", "is not a folder");
        AssertBadInput(CliTests.Run("spectrum", "--checkpoint", ckpt, "--data", "digits", "--chunk-size", "0"), "--chunk-size 0");
        AssertBadInput(CliTests.Run("surface", "--checkpoint", ckpt, "--data", "digits", "--shard", "3/2", "--json", Path.Combine(run, "s.json")), "Shard '3/2' is not valid");
        AssertBadInput(CliTests.Run("surface", "--checkpoint", ckpt, "--data", "digits", "--directions", "three", "--checkpoint-b", ckpt), "--checkpoint-c");
        AssertBadInput(CliTests.Run("trajectory", "--checkpoints", Path.Combine(run, "nope"), "--data", "digits"), "neither a folder nor a checkpoint file");
        AssertBadInput(CliTests.Run("trajectory", "--checkpoints", ckpt, "--data", "digits"), "at least 3");
        AssertBadInput(CliTests.Run("merge", Path.Combine(run, "options.json")), "not a grid shard file");
        AssertBadInput(CliTests.Run("model", "info", "mlp:4-2", "--input", "0x3"), "0x3");
    }
}

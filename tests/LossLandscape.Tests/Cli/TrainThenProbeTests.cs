using System.Text.Json;
using LossLandscape.Checkpoints;
using LossLandscape.Tests.Data;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Cli;

/// <summary>
/// What llscape itself made is what its other commands take: train a ResNet and an MLP on 1x28x28 images (an
/// MNIST-format Fashion-MNIST folder), on the 1x8x8 digits and on a 3x32x32 safetensors file, then run every probe
/// and curvature command on the checkpoints without --model (the checkpoints record it). Tiny step counts and subsets
/// (the curvature commands on the first 2 examples: a ResNet's Hessian-vector product is the slow part).
/// </summary>
[Collection("Console")]
public class TrainThenProbeTests(Xunit.Abstractions.ITestOutputHelper log)
{
    /// <summary>A Fashion-MNIST folder of 1x28x28 images (30 training, 10 test; labels cycle through the 10 classes).</summary>
    internal static string FashionMnistDir()
    {
        var dir = TestUtil.TempDir();
        var folder = Path.Combine(dir, "fashion-mnist");
        Directory.CreateDirectory(folder);
        void Put(string name, byte[] data) => File.WriteAllBytes(Path.Combine(folder, name + ".gz"), DataFileWriters.Gzip(data));
        Put("train-images-idx3-ubyte", DataFileWriters.IdxImages(DataFileWriters.PatternImages(30, 28, 28)));
        Put("train-labels-idx1-ubyte", DataFileWriters.IdxLabels(Enumerable.Range(0, 30).Select(i => (byte)(i % 10)).ToArray()));
        Put("t10k-images-idx3-ubyte", DataFileWriters.IdxImages(DataFileWriters.PatternImages(10, 28, 28)));
        Put("t10k-labels-idx1-ubyte", DataFileWriters.IdxLabels(Enumerable.Range(0, 10).Select(i => (byte)i).ToArray()));
        return dir;
    }

    /// <summary>A safetensors file of 30 random 3x32x32 images with labels cycling through 10 classes.</summary>
    internal static string Cifar32File()
    {
        var path = Path.Combine(TestUtil.TempDir(), "images32.safetensors");
        using var g = new Generator(7, CPU);
        using var x = randn(new long[] { 30, 3, 32, 32 }, generator: g);
        using var y = arange(30L).remainder(10L);
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y });
        return path;
    }

    [Theory]
    [InlineData("resnet8", "fashion-mnist", "1x28x28")]
    [InlineData("mlp:784-12-10", "fashion-mnist", "1x28x28")]
    [InlineData("resnet8", "digits", "1x8x8")]
    [InlineData("mlp:64-12-10", "digits", "1x8x8")]
    [InlineData("resnet8", "file", "3x32x32")]
    [InlineData("mlp:3072-12-10", "file", "3x32x32")]
    public void Train_ThenEveryProbeAndCurvatureCommand_OnItsCheckpoints(string model, string data, string shape)
    {
        var extra = new List<string>();
        if (data == "fashion-mnist") extra.AddRange(["--data-dir", FashionMnistDir()]);
        if (data == "file") data = Cifar32File();
        var run = Path.Combine(TestUtil.TempDir(), "run");
        string[] D(params string[] args) => [.. args, "--data", data, .. extra];

        var (code, output, err) = CliTests.Run(D("train", "--model", model, "--steps", "3", "--batch-size", "8", "--checkpoint-every", "1",
            "--eval-subset", "10", "--out", run));
        code.Should().Be(0, err + output);
        var final = Path.Combine(run, "model.safetensors");
        var info = CheckpointInfo.Read(final);
        info.Model.Should().Be(model);
        CheckpointInfo.FormatShape(info.InputShape!).Should().Be(shape);
        info.Classes.Should().Be(10);
        var first = Path.Combine(run, "checkpoints", "step-00000001", "model.safetensors");
        var json = Path.Combine(run, "out.json");
        string[] small = ["--subset", "10", "--bn-batches", "1", "--bn-batch-size", "10"];

        void Ok(string what, string[] args, string expect)
        {
            File.Delete(json);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var (c, o, e) = CliTests.Run([.. args, "--json", json]);
            log.WriteLine($"{what}: {watch.Elapsed.TotalSeconds:F2} s");
            c.Should().Be(0, $"{what}: {e}{o}");
            o.Should().Contain(expect, what);
            File.Exists(json).Should().BeTrue(what);
        }

        Ok("spectrum", D("spectrum", "--checkpoint", final, "--first", "2", "--top", "1", "--max-iter", "2"), "top: ");
        Ok("density", D("density", "--checkpoint", final, "--first", "2", "--probes", "1", "--steps", "2", "--grid", "20"), "trace estimate");
        Ok("trace", D("trace", "--checkpoint", final, "--first", "2", "--probes", "4"), "trace: ");
        Ok("interpolate", D(["interpolate", "--from", first, "--to", final, "--alphas", "0:1:2", .. small]), "BatchNorm:");
        Ok("surface", D(["surface", "--checkpoint", final, "--x-range", "-1:1:2", "--y-range", "-1:1:2", .. small]), "loss: min");
        Ok("connect", D(["connect", "--from", first, "--to", final, "--steps", "1", "--points", "2", .. small]), "barrier:");
        Ok("sharpness", D(["sharpness", "--checkpoint", final, "--steps", "1", .. small]), "epsilon-sharpness");
        Ok("trajectory", D(["trajectory", "--checkpoints", run, "--grid", "2", .. small]), "explained variance");

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        doc.RootElement.GetProperty("model").GetString().Should().Be(model);
    }
}

using LossLandscape.Checkpoints;
using LossLandscape.Tests.Cli;
using LossLandscape.Specs;
using LossLandscape.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Training;

[Collection("Console")]
public class TrainCommandTests
{
    [Theory]
    [InlineData("resnet20", "269722")]
    [InlineData("resnet56", "853018")]
    [InlineData("resnet110", "1727962")]
    [InlineData("resnet56-noshort", "853018")]
    public void ModelInfo_PrintsThePaperParameterCounts(string spec, string count)
    {
        var (code, output, _) = CliTests.Run("model", "info", spec);
        code.Should().Be(0);
        output.Should().Contain($"parameters: {count}");
    }

    [Fact]
    public void ModelInfo_TakesInputShapeAndClasses()
    {
        var (code, output, _) = CliTests.Run("model", "info", "resnet20", "--input", "1x28x28", "--classes", "10");
        code.Should().Be(0);
        output.Should().Contain($"parameters: {269_722 - 2 * 16 * 9}").And.Contain("weight[16x1x3x3]");
        CliTests.Run("model", "info", "resnet20", "--input", "28x-1").Code.Should().Be(2);
    }

    [Fact]
    public void Train_OnSafetensorsFile_WritesCheckpointsHistoryAndOptions_AndResumes()
    {
        var dir = TestUtil.TempDir();
        var file = Path.Combine(dir, "data.safetensors");
        using (var g = new Generator(5))
        {
            var x = randn(new long[] { 40, 2, 2 }, generator: g);
            var y = x.reshape(40, 4).sum(1).gt(0).to(ScalarType.Int64);
            Safetensors.Save(file, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y, ["x_test"] = x[..10], ["y_test"] = y[..10] });
        }
        var outDir = Path.Combine(dir, "run");
        var (code, output, err) = CliTests.Run("train", "--model", "mlp:4-8-2", "--data", file, "--batch-size", "8", "--lr", "0.05",
            "--momentum", "0.9", "--schedule", "cosine", "--steps", "12", "--eval-every", "4", "--checkpoint-every", "5", "--out", outDir, "--device", "cpu");
        (code, err).Should().Be((0, ""));
        output.Should().Contain("Training finished: 12 steps");
        File.Exists(Path.Combine(outDir, "model.safetensors")).Should().BeTrue();
        File.Exists(Path.Combine(outDir, "checkpoints", "step-00000005", "optimizer.safetensors")).Should().BeTrue();
        File.ReadAllLines(Path.Combine(outDir, "history.csv")).Should().HaveCount(1 + 4); // header, steps 0, 4, 8, 12
        var o = TrainingRun.Load(Path.Combine(outDir, "options.json"));
        o.Should().Be(new TrainingRun("mlp:4-8-2", new TrainingOptions
        {
            BatchSize = 8, LearningRate = 0.05, Momentum = 0.9, Schedule = new CosineSchedule(), Steps = 12, EvalEvery = 4, CheckpointEvery = 5,
        }) { Data = file, Device = "cpu", DType = "float32" });

        var again = CliTests.Run("train", "--model", "mlp:4-8-2", "--data", file, "--steps", "12", "--out", outDir);
        again.Code.Should().Be(2);
        again.Err.Should().Contain("already holds a run").And.Contain("--resume");

        var more = CliTests.Run("train", "--resume", "--steps", "20", "--out", outDir, "--device", "cpu");
        more.Code.Should().Be(0, more.Err);
        more.Out.Should().Contain("from step 12").And.Contain("Training finished: 20 steps");
        TrainingRun.Load(Path.Combine(outDir, "options.json")).Training.Steps.Should().Be(20);

        var changed = CliTests.Run("train", "--resume", "--lr", "0.5", "--out", outDir, "--device", "cpu");
        changed.Code.Should().Be(2);
        changed.Err.Should().Contain("different options").And.Contain("learningRate");
    }

    [Fact]
    public void Train_OnSyntheticBlobs_Learns()
    {
        var outDir = Path.Combine(TestUtil.TempDir(), "run");
        var (code, output, err) = CliTests.Run("train", "--model", "mlp:10-16-3", "--data", "synthetic:blobs:k=3,d=10,n=400,ntest=100", "--batch-size", "20",
            "--epochs", "3", "--out", outDir, "--device", "cpu", "--seed", "3");
        (code, err).Should().Be((0, ""));
        var history = TrainingHistory.FromJson(File.ReadAllText(Path.Combine(outDir, "history.json")));
        history[^1].Step.Should().Be(60);
        history[^1].TestAccuracy.Should().BeGreaterThan(0.9);
        history[^1].TrainLoss.Should().BeLessThan(history[0].TrainLoss!.Value);
    }

    [Theory]
    [InlineData("resnet20", "nosuchdata", "Data set 'nosuchdata' is not known")]
    [InlineData("vgg", "synthetic:blobs", "Model spec 'vgg' is not valid")]
    [InlineData("mlp:10-3", "synthetic:blobs:k=x", "synthetic:blobs")]
    [InlineData("mlp:12-3", "synthetic:blobs:d=10", "inputs of size 12")]
    public void Train_BadInput_ExitsTwo(string model, string data, string message)
    {
        var outDir = Path.Combine(TestUtil.TempDir(), "run");
        var (code, _, err) = CliTests.Run("train", "--model", model, "--data", data, "--steps", "2", "--out", outDir, "--device", "cpu");
        code.Should().Be(2);
        err.Should().Contain(message);
    }

    [Fact]
    public void Train_WithoutStepsOrEpochs_ExitsTwo()
    {
        var outDir = Path.Combine(TestUtil.TempDir(), "run");
        var (code, _, err) = CliTests.Run("train", "--model", "mlp:10-3", "--data", "synthetic:blobs:d=10", "--out", outDir, "--device", "cpu");
        code.Should().Be(2);
        err.Should().Contain("exactly one");
    }
}

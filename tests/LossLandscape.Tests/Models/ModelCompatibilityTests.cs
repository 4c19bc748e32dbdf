using LossLandscape.Checkpoints;
using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Losses;
using LossLandscape.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Models;

/// <summary>
/// The library finds model/data/loss mismatches before any tensor operation (where a matmul or autograd error would
/// abort the process), with one message naming both sides and the fix.
/// </summary>
public class ModelCompatibilityTests
{
    private static Dataset Data(long[] shape, int classes, long[]? labels = null, ScalarType dtype = ScalarType.Float32)
    {
        labels ??= Enumerable.Range(0, 6).Select(i => (long)(i % classes)).ToArray();
        var x = zeros([labels.Length, .. shape], dtype: dtype);
        return new Dataset("d", x, tensor(labels), Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    private static ModelDataMismatchException Mismatch(Action a)
    {
        var ex = a.Should().Throw<ModelDataMismatchException>().Which;
        ex.Message.Should().NotBeNullOrWhiteSpace();
        return ex;
    }

    [Fact]
    public void Describe_ReadsFirstAndLastLayers_OfTheZoo()
    {
        using var resnet = new CifarResNet(8, 1, 7);
        var r = ModelCompatibility.Describe(resnet);
        r.FirstLayer.Should().Be("conv1");
        r.InputChannels.Should().Be(1);
        r.OutputLayer.Should().Be("linear");
        r.Outputs.Should().Be(7);
        using var mlp = new Mlp(new[] { 12, 5, 3 });
        var m = ModelCompatibility.Describe(mlp);
        (m.InputFeatures, m.Flattens, m.Outputs).Should().Be((12L, true, 3L));
        using var alex = new AlexNetC1(new long[] { 3, 16, 16 }, 4, batchNorm: false);
        ModelCompatibility.Describe(alex).ImageSize.Should().Equal(16, 16);
    }

    [Fact]
    public void Mlp_InputSizeAndClasses()
    {
        using var mlp = new Mlp(new[] { 20, 16, 4 });
        using var images = Data([1, 28, 28], 4);
        var ex = Mismatch(() => ModelCompatibility.Check(mlp, images));
        ex.Kind.Should().Be(ModelDataMismatch.InputSize);
        ex.Message.Should().Contain("20").And.Contain("1x28x28").And.Contain("784");
        using var tenClasses = Data([20], 10);
        Mismatch(() => ModelCompatibility.Check(mlp, tenClasses)).Kind.Should().Be(ModelDataMismatch.Classes);
        using var fits = Data([4, 5], 4);
        ModelCompatibility.Check(mlp, fits, new CrossEntropyLoss());
    }

    [Fact]
    public void Convolutional_ChannelsRankAndImageSize()
    {
        using var resnet = new CifarResNet(8, 3, 10);
        using var gray = Data([1, 28, 28], 10);
        var ex = Mismatch(() => ModelCompatibility.Check(resnet, gray));
        ex.Kind.Should().Be(ModelDataMismatch.InputChannels);
        ex.Message.Should().Contain("3 channel").And.Contain("1x28x28");
        using var flat = Data([784], 10);
        Mismatch(() => ModelCompatibility.Check(resnet, flat)).Kind.Should().Be(ModelDataMismatch.InputRank);
        using var alex = new AlexNetC1(new long[] { 3, 32, 32 }, 10, batchNorm: false);
        using var small = Data([3, 28, 28], 10);
        Mismatch(() => ModelCompatibility.Check(alex, small)).Kind.Should().Be(ModelDataMismatch.ImageSize);
    }

    [Fact]
    public void Labels_RangeDtypeAndLoss()
    {
        using var mlp = new Mlp(new[] { 2, 3, 3 });
        using var outOfRange = Data([2], 3, [0, 1, 5]);
        var ex = Mismatch(() => ModelCompatibility.Check(mlp, outOfRange));
        ex.Kind.Should().Be(ModelDataMismatch.LabelRange);
        ex.Message.Should().Contain("label 5").And.Contain("0 to 2");
        using var negative = Data([2], 3, [0, -1, 2]);
        Mismatch(() => ModelCompatibility.Check(mlp, negative)).Kind.Should().Be(ModelDataMismatch.LabelRange);
        using var floatLabels = tensor(new float[] { 0, 1 });
        Mismatch(() => ModelCompatibility.CheckLabels(mlp, "d", floatLabels)).Kind.Should().Be(ModelDataMismatch.LabelDType);

        using var binary = new Mlp(new[] { 2, 3, 1 });
        using var twoClasses = Data([2], 2);
        Mismatch(() => ModelCompatibility.Check(binary, twoClasses, new CrossEntropyLoss())).Kind.Should().Be(ModelDataMismatch.Loss);
        ModelCompatibility.Check(binary, twoClasses, new SquaredErrorLoss());
    }

    [Fact]
    public void DType_IsChecked()
    {
        using var mlp = new Mlp(new[] { 2, 3, 3 });
        mlp.to(ScalarType.Float64);
        using var single = Data([2], 3);
        Mismatch(() => ModelCompatibility.Check(mlp, single)).Kind.Should().Be(ModelDataMismatch.DType);
    }

    [Fact]
    public void ProbesOperatorsAndTrainer_RefuseAMismatch_InsteadOfAborting()
    {
        using var mlp = new Mlp(new[] { 20, 16, 4 });
        using var images = Data([1, 28, 28], 4);
        Mismatch(() => _ = new LandscapeProbe(mlp, images));
        Mismatch(() => _ = new HessianOperator(mlp, new CrossEntropyLoss(), images));
        Mismatch(() => _ = new GaussNewtonOperator(mlp, new CrossEntropyLoss(), images));
        using var fits = Data([20], 4);
        Mismatch(() => _ = new LandscapeProbe(mlp, fits, images));
        Mismatch(() => _ = new LossLandscape.Training.Trainer(mlp, images, null, new LossLandscape.Training.TrainingOptions { Steps = 1, BatchSize = 2 }));
    }

    [Fact]
    public void CheckpointInfo_RoundTripsThroughSafetensorsMetadata()
    {
        var path = Path.Combine(TestUtil.TempDir(), "m.safetensors");
        using var mlp = new Mlp(new[] { 4, 2 });
        Checkpoint.Save(mlp, path, new CheckpointInfo("mlp:4-2", new long[] { 1, 2, 2 }, 2).ToMetadata());
        var info = CheckpointInfo.Read(path);
        info.Model.Should().Be("mlp:4-2");
        info.InputShape.Should().Equal(1, 2, 2);
        info.Classes.Should().Be(2);
        CheckpointInfo.FromMetadata(new Dictionary<string, string> { ["input_shape"] = "1xa", ["classes"] = "-3" })
            .Should().Be(new CheckpointInfo(null, null, null));
    }
}

using LossLandscape.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void ResolveDevice_AcceptsCpuAndAuto()
    {
        TorchRuntime.ResolveDevice("cpu").type.Should().Be(DeviceType.CPU);
        var auto = TorchRuntime.ResolveDevice("auto");
        auto.type.Should().Be(TorchRuntime.CudaAvailable ? DeviceType.CUDA : DeviceType.CPU);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    public void ResolveDevice_RejectsMalformedSpecs(string spec)
    {
        var act = () => TorchRuntime.ResolveDevice(spec);
        act.Should().Throw<LossLandscapeException>().WithMessage($"*'{spec}' is not valid*auto*cpu*cuda:N*");
    }

    [Fact]
    public void ResolveDevice_Cuda_ExplainsWhenUnavailable()
    {
        if (TorchRuntime.CudaAvailable) return;
        var act = () => TorchRuntime.ResolveDevice("cuda:0");
        act.Should().Throw<LossLandscapeException>().WithMessage("*CUDA is not available*--device cpu*");
    }

    [Fact]
    public void ParseDType_AcceptsFloat32AndFloat64Only()
    {
        TorchRuntime.ParseDType("float64").Should().Be(ScalarType.Float64);
        TorchRuntime.ParseDType(null).Should().Be(ScalarType.Float32);
        var act = () => TorchRuntime.ParseDType("int8");
        act.Should().Throw<LossLandscapeException>().WithMessage("*'int8' is not supported*float32*float64*");
    }

    [Fact]
    public void Seed_MakesTorchAndHostDrawsRepeatable()
    {
        var r1 = TorchRuntime.Seed(42);
        var a = randn(5).data<float>().ToArray();
        var h1 = r1.Next();
        var r2 = TorchRuntime.Seed(42);
        var b = randn(5).data<float>().ToArray();
        a.Should().Equal(b);
        r2.Next().Should().Be(h1);
    }

    [Fact]
    public void Threads_RejectsZero()
    {
        var act = () => TorchRuntime.SetThreads(0);
        act.Should().Throw<LossLandscapeException>().WithMessage("*at least 1*");
    }
}

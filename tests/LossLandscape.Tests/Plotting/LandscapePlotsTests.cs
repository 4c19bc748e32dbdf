using LossLandscape.Landscape;
using LossLandscape.Parameters;
using LossLandscape.Plotting;
using LossLandscape.Specs;
using TorchSharp;
using static TorchSharp.torch;
using static LossLandscape.Tests.Landscape.LandscapeTestUtil;

namespace LossLandscape.Tests.Plotting;

public class LandscapePlotsTests
{
    private static readonly byte[] PngMagic = { 0x89, 0x50, 0x4E, 0x47 };

    private static void ShouldBePng(string path)
    {
        File.Exists(path).Should().BeTrue();
        var bytes = File.ReadAllBytes(path);
        bytes.Take(4).Should().Equal(PngMagic);
        bytes.Length.Should().BeGreaterThan(10_000, "a rendered plot with axes, curves and labels is not a blank image");
    }

    [Fact]
    public void RendersLinePlanePathAndTrajectory_AsPngAndSvg()
    {
        var dir = Path.Combine(TestUtil.TempDir(), "plots");
        var model = TestUtil.TinyMlp(1);
        var space = new ParameterSpace(model);
        using var data = Toy(p: 30);
        using var test = Toy(p: 20, seed: 3);
        var probe = new LandscapeProbe(model, data, test);
        var a = ModelPoint.Capture(space);
        var b = ModelPoint.Capture(new ParameterSpace(TestUtil.TinyMlp(2)));

        var line = probe.Interpolate(a, b, CoordinateSpec.ParseAlphas("-1:2:16"));
        LandscapePlots.Line(line, Path.Combine(dir, "line.png"));
        LandscapePlots.Line(line, Path.Combine(dir, "line.svg"));

        var three = PlaneBasis.ThroughThree(a.Theta, b.Theta, ModelPoint.Capture(new ParameterSpace(TestUtil.TinyMlp(3))).Theta);
        var plane = probe.ScanPlane(three, new GridSpec(-0.5, 2, 12, -0.5, 2, 12));
        LandscapePlots.Plane(plane, Path.Combine(dir, "plane.png"));

        var (valley, vprobe) = (new CurvedValley(0, 0), (LandscapeProbe?)null);
        vprobe = new LandscapeProbe(valley, ValleyData(), options: new ProbeOptions { Loss = new global::LossLandscape.Losses.SquaredErrorLoss() });
        var path = PathFinder.Connect(vprobe, tensor(new[] { -1.0, 0 }), tensor(new[] { 1.0, 0 }), new PathOptions { Steps = 100, LearningRate = 0.05 });
        LandscapePlots.Path(path, Path.Combine(dir, "path.png"));

        var g = new Generator(2);
        var final = space.Get();
        var cps = Enumerable.Range(0, 6).Select(i => final + space.Randn(g) * (0.05 * (6 - i))).Append(final).ToList();
        var traj = Trajectory.Run(probe, cps, null, gridSize: 10);
        LandscapePlots.Trajectory(traj, Path.Combine(dir, "trajectory.png"));

        foreach (var f in new[] { "line.png", "plane.png", "path.png", "trajectory.png" }) ShouldBePng(Path.Combine(dir, f));
        var svg = File.ReadAllText(Path.Combine(dir, "line.svg"));
        svg.Should().Contain("<svg").And.Contain("Line scan");
        Directory.GetFiles(dir, "*.tmp").Should().BeEmpty();

        FluentActions.Invoking(() => LandscapePlots.Line(line, Path.Combine(dir, "line.gif")))
            .Should().Throw<LossLandscapeException>().WithMessage("*must end in .png or .svg*");
        var keep = Environment.GetEnvironmentVariable("LLSCAPE_KEEP_PLOTS");
        if (!string.IsNullOrEmpty(keep))
            foreach (var f in Directory.GetFiles(dir)) File.Copy(f, Path.Combine(keep, Path.GetFileName(f)), overwrite: true);
    }
}

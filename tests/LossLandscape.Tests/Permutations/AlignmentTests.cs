using LossLandscape.Permutations;
using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Losses;
using LossLandscape.Models;
using LossLandscape.Parameters;
using LossLandscape.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Permutations;

public class AlignmentTests
{
    // ---- the linear assignment solver ----

    [Fact]
    public void Solve_MatchesBruteForce_OnSmallRandomMatrices()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 1 + trial % 7;
            var c = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) c[i, j] = trial % 3 == 0 ? rng.Next(4) : rng.NextDouble() * 10 - 5;   // ties too
            foreach (bool maximize in new[] { false, true })
            {
                var sigma = LinearAssignment.Solve(c, maximize);
                sigma.OrderBy(v => v).Should().Equal(Enumerable.Range(0, n));
                double best = maximize ? double.NegativeInfinity : double.PositiveInfinity;
                foreach (var p in Permutations(n))
                {
                    double t = LinearAssignment.Total(c, p);
                    best = maximize ? Math.Max(best, t) : Math.Min(best, t);
                }
                LinearAssignment.Total(c, sigma).Should().BeApproximately(best, 1e-9, $"n = {n}, trial {trial}");
            }
        }
    }

    [Fact]
    public void Solve_RejectsNonSquareAndNonFiniteMatrices()
    {
        FluentActions.Invoking(() => LinearAssignment.Solve(new double[2, 3])).Should().Throw<ArgumentException>().WithMessage("*square*");
        FluentActions.Invoking(() => LinearAssignment.Solve(new double[,] { { 1, double.NaN }, { 0, 1 } })).Should().Throw<ArgumentException>().WithMessage("*NaN*");
    }

    [Fact]
    public void Solve_RecoversAPlantedPermutation_OfAThousandUnits()
    {
        int n = 1000;
        var rng = new Random(2);
        var planted = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(planted);
        var c = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) c[i, j] = rng.NextDouble();
        for (int i = 0; i < n; i++) c[i, planted[i]] = 2;
        LinearAssignment.Solve(c, maximize: true).Should().Equal(planted);
    }

    // ---- the derived permutation groups ----

    [Fact]
    public void Spec_OfResNet8_TiesStagesThroughResidualsAndSplitsOffThePaddedChannels()
    {
        using var model = new CifarResNet(8, inputChannels: 3, classes: 4);
        var spec = PermutationSpec.For(model);
        spec.Groups.Select(g => (g.Name, g.Size)).Should().Equal(
            ("conv1", 16), ("layer1.0.conv1", 16), ("layer2.0.conv1", 32), ("layer2.0.conv2 channels 0-7,24-31", 16),
            ("layer3.0.conv1", 64), ("layer3.0.conv2 channels 0-15,48-63", 32));
        // The stem's group reaches into every stage, at the channels the option-A padding carries over.
        var stream = spec.Groups[0];
        stream.Members.Select(m => spec.SpaceNames[m.Space]).Should().Equal("conv1", "layer1.0.conv2", "layer2.0.conv2", "layer3.0.conv2");
        stream.Members[2].Indices.Should().Equal(Enumerable.Range(8, 16));
        stream.Members[3].Indices.Should().Equal(Enumerable.Range(24, 16));
        var stage2 = spec.Groups[3];
        stage2.Members[1].Indices.Should().Equal(Enumerable.Range(16, 8).Concat(Enumerable.Range(40, 8)));
    }

    [Fact]
    public void Spec_RefusesAnUnknownModule_NamingIt()
    {
        using var seq = nn.Sequential(("fc", nn.Linear(4, 3)), ("sm", nn.Softmax(1)), ("out", nn.Linear(3, 2)));
        FluentActions.Invoking(() => PermutationSpec.For(seq)).Should().Throw<LossLandscapeException>().WithMessage("*'sm' (Softmax)*");
        using var alex = new AlexNetC1(new long[] { 3, 32, 32 }, 10);
        FluentActions.Invoking(() => PermutationSpec.For(alex)).Should().Throw<LossLandscapeException>().WithMessage("*AlexNetC1*MLPs*CIFAR ResNets*");
    }

    // ---- function preservation ----

    [Fact]
    public void Apply_RandomPermutation_PreservesTheMlpsOutputs()
    {
        var model = TestUtil.TinyMlp(1, 10, 7, 6, 3);
        using var x = randn(new long[] { 20, 10 }, dtype: ScalarType.Float64);
        using var before = model.call(x);
        var spec = PermutationSpec.For(model);
        spec.Groups.Select(g => g.Size).Should().Equal(7, 6);
        using var theta = new ParameterSpace(model).Get();
        var perms = spec.Random(new Random(3));
        spec.Apply(model, perms);
        using var after = model.call(x);
        using var moved = new ParameterSpace(model).Get();
        moved.eq(theta).all().item<bool>().Should().BeFalse("the weights moved");
        (after - before).abs().max().item<double>().Should().BeLessThan(1e-12);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Apply_RandomPermutation_PreservesTheResNetsOutputs_WithBatchNormAndOptionAShortcuts(bool shortcuts)
    {
        var model = TrainedLikeResNet(shortcuts, seed: 4);
        using var x = randn(new long[] { 6, 3, 8, 8 }, dtype: ScalarType.Float64, generator: new Generator(9));
        // Train-mode passes update the running statistics; the scope puts them back so both eval passes see the same ones.
        Tensor TrainMode()
        {
            using var mode = ModelStateScope.EnterMode(model, true);
            return model.call(x);
        }
        model.eval();
        using var evalBefore = model.call(x);
        using var trainBefore = TrainMode();
        var spec = PermutationSpec.For(model);
        spec.Apply(model, spec.Random(new Random(7)));
        using var evalAfter = model.call(x);
        using var trainAfter = TrainMode();
        (evalAfter - evalBefore).abs().max().item<double>().Should().BeLessThan(1e-6);
        (trainAfter - trainBefore).abs().max().item<double>().Should().BeLessThan(1e-6);
        evalBefore.abs().max().item<double>().Should().BeGreaterThan(1e-3, "the test compares outputs that are not all zero");
    }

    // ---- planted permutations are recovered exactly ----

    [Theory]
    [InlineData(AlignmentMethod.Weight)]
    [InlineData(AlignmentMethod.Activation)]
    public void Align_RecoversAPlantedPermutation_OfAnMlp(AlignmentMethod method)
    {
        var a = TestUtil.TinyMlp(2, 10, 12, 9, 4);
        var b = TestUtil.TinyMlp(2, 10, 12, 9, 4);
        using var x = randn(new long[] { 64, 10 }, dtype: ScalarType.Float64);
        using var y = zeros(64, dtype: ScalarType.Int64);
        AssertRecovers(a, b, method, BatchSource.FromTensors(x, y, 16));
    }

    [Theory]
    [InlineData(AlignmentMethod.Weight)]
    [InlineData(AlignmentMethod.Activation)]
    public void Align_RecoversAPlantedPermutation_OfAResNet(AlignmentMethod method)
    {
        var a = TrainedLikeResNet(true, seed: 6);
        var b = TrainedLikeResNet(true, seed: 6);
        using var x = randn(new long[] { 32, 3, 8, 8 }, dtype: ScalarType.Float64, generator: new Generator(1));
        using var y = zeros(32, dtype: ScalarType.Int64);
        AssertRecovers(a, b, method, BatchSource.FromTensors(x, y, 16));
    }

    private static void AssertRecovers(nn.Module<Tensor, Tensor> a, nn.Module<Tensor, Tensor> b, AlignmentMethod method, BatchSource data)
    {
        var spec = PermutationSpec.For(b);
        var planted = spec.Random(new Random(11));
        spec.Apply(b, planted);
        var r = ModelAlignment.Align(a, b, new AlignmentOptions { Method = method }, data);
        r.Permutations.Should().BeEquivalentTo(PermutationSpec.Inverse(planted), o => o.WithStrictOrdering());
        r.Objective.Should().BeGreaterThan(r.ObjectiveBefore);
        r.ApplyTo(b);
        var sa = a.state_dict();
        foreach (var (name, t) in b.state_dict())
            t.eq(sa[name]).all().item<bool>().Should().BeTrue(name);
    }

    // ---- independently trained nets ----

    [Fact]
    public void WeightMatching_LowersTheLineBarrier_BetweenTwoIndependentlyTrainedMlps()
    {
        using var split = DigitsData.Load();
        using var first = split.Train.Take(600);
        using var train = first.To(CPU, ScalarType.Float64);
        var nets = new[] { 0, 1 }.Select(seed =>
        {
            var m = TestUtil.TinyMlp(100 + seed, 64, 32, 10);
            using var t = new Trainer(m, train, test: null, new TrainingOptions { BatchSize = 32, Steps = 200, LearningRate = 0.05, Momentum = 0.9, Seed = seed, EvalEvery = 0 });
            t.Run();
            return m;
        }).ToArray();
        var probe = new LandscapeProbe(nets[0], train);
        var alphas = Alphas.Linspace(0, 1, 11);
        using var a = ModelPoint.Capture(probe.Space);
        using var b = ModelPoint.Capture(new ParameterSpace(nets[1]));
        double before = Barriers.AboveMeanOfEnds(probe.Interpolate(a, b, alphas).Points.Select(p => p.Loss).ToList());

        var r = ModelAlignment.Align(nets[0], nets[1]);
        r.ApplyTo(nets[1]);
        using var aligned = ModelPoint.Capture(new ParameterSpace(nets[1]));
        double after = Barriers.AboveMeanOfEnds(probe.Interpolate(a, aligned, alphas).Points.Select(p => p.Loss).ToList());

        r.Iterations.Should().BeGreaterThan(1);
        before.Should().BeGreaterThan(0.05, $"two seeds (before {before}, after {after}) are separated by a barrier on the line");
        after.Should().BeLessThan(0.7 * before, $"before {before}, after {after}");
    }

    /// <summary>A small CifarResNet in float64 whose BatchNorm layers hold non-trivial scales, shifts and running statistics.</summary>
    private static CifarResNet TrainedLikeResNet(bool shortcuts, int seed)
    {
        manual_seed(seed);
        var model = new CifarResNet(8, inputChannels: 3, classes: 4, shortcuts: shortcuts);
        model.to(ScalarType.Float64);
        using (no_grad())
        {
            foreach (var bn in BatchNorms.Find(model))
            {
                bn.weight!.uniform_(0.5, 1.5);
                bn.bias!.uniform_(-0.3, 0.3);
            }
            model.train();
            using var x = randn(new long[] { 16, 3, 8, 8 }, dtype: ScalarType.Float64);
            model.call(x).Dispose();
        }
        return model;
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        while (true)
        {
            yield return (int[])p.Clone();
            int i = n - 2;
            while (i >= 0 && p[i] >= p[i + 1]) i--;
            if (i < 0) yield break;
            int j = n - 1;
            while (p[j] <= p[i]) j--;
            (p[i], p[j]) = (p[j], p[i]);
            Array.Reverse(p, i + 1, n - i - 1);
        }
    }
}

using System.Text.Json;
using LossLandscape.Checkpoints;
using LossLandscape.Data;
using LossLandscape.Models;
using LossLandscape.Tests.Checkpoints;
using LossLandscape.Tests.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests.Curvature;

[Collection("Console")]
public class CurvatureCliTests
{
    /// <summary>A PyTorch-layout F32 checkpoint of mlp:4-6-3 and 20 examples as safetensors (x float32, y int64).</summary>
    private static (string Dir, string Weights, string Data) Files()
    {
        var dir = TestUtil.TempDir();
        var weights = Path.Combine(dir, "model.safetensors");
        CheckpointTests.WritePyTorchStyle(weights, CheckpointTests.PyTorchMlpTensors(4, 6, 3, seed: 50));
        var data = Path.Combine(dir, "data.safetensors");
        using var g = new Generator(51, CPU);
        using var x = randn(new long[] { 20, 4 }, generator: g);
        using var y = randint(0, 3, new long[] { 20 }, generator: g, dtype: ScalarType.Int64);
        Safetensors.Save(data, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y });
        return (dir, weights, data);
    }

    private static double[] ExactEigenvalues(string weights, string data)
    {
        using var scope = NewDisposeScope();
        using var model = new Mlp(new[] { 4, 6, 3 });
        model.to(ScalarType.Float64);
        Checkpoint.Load(model, weights);
        var t = Safetensors.Load(data);
        using var ds = new Dataset("d", t["x"].to(ScalarType.Float64), t["y"], new[] { "0", "1", "2" });
        var h = CurvatureReference.DenseHessian(model, "ce", ds);
        return TestUtil.ToArray(linalg.eigvalsh(h));
    }

    [Fact]
    public void Spectrum_OnPyTorchCheckpoint_GivesTheDenseHessianEigenvalues()
    {
        var (dir, weights, data) = Files();
        var json = Path.Combine(dir, "spectrum.json");
        var (code, output, err) = CliTests.Run("spectrum", "--model", "mlp:4-6-3", "--weights", weights, "--data", data,
            "--dtype", "float64", "--top", "3", "--bottom", "2", "--batch-size", "7", "--json", json);
        code.Should().Be(0, err);
        output.Should().Contain("operator: hessian (51 parameters, 20 examples");
        var exact = ExactEigenvalues(weights, data);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        root.GetProperty("operator").GetString().Should().Be("hessian");
        root.GetProperty("parameters").GetInt64().Should().Be(51);
        root.GetProperty("applications").GetInt64().Should().BeGreaterThan(0);
        root.GetProperty("loss").GetDouble().Should().BeGreaterThan(0);
        root.GetProperty("seconds").GetDouble().Should().BeGreaterThan(0);
        root.GetProperty("residuals").GetArrayLength().Should().Be(3);
        var top = root.GetProperty("eigenvalues").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var bottom = root.GetProperty("bottom").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double norm = exact.Max(Math.Abs);
        for (int i = 0; i < 3; i++) top[i].Should().BeApproximately(exact[^(i + 1)], 1e-6 * Math.Abs(exact[^(i + 1)]));
        for (int i = 0; i < 2; i++) bottom[i].Should().BeApproximately(exact[i], 1e-6 * norm);
    }

    [Fact]
    public void DensityAndTrace_WriteTheirJson()
    {
        var (dir, weights, data) = Files();
        var exact = ExactEigenvalues(weights, data);
        var dj = Path.Combine(dir, "density.json");
        var (code, _, err) = CliTests.Run("density", "--model", "mlp:4-6-3", "--weights", weights, "--data", data, "--dtype", "float64",
            "--probes", "3", "--steps", "51", "--grid", "400", "--json", dj, "--plot", Path.Combine(dir, "density.png"));
        code.Should().Be(0, err);
        new FileInfo(Path.Combine(dir, "density.png")).Length.Should().BeGreaterThan(2000);
        using (var doc = JsonDocument.Parse(File.ReadAllText(dj)))
        {
            var root = doc.RootElement;
            root.GetProperty("grid").GetArrayLength().Should().Be(400);
            root.GetProperty("density").GetArrayLength().Should().Be(400);
            var nodes = root.GetProperty("probes")[0].GetProperty("nodes").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            nodes[^1].Should().BeApproximately(exact[^1], 1e-8 * exact.Max(Math.Abs), "51 steps span the whole space");
        }
        var tj = Path.Combine(dir, "trace.json");
        (code, var output, err) = CliTests.Run("trace", "--model", "mlp:4-6-3", "--weights", weights, "--data", data, "--dtype", "float64",
            "--probes", "50", "--operator", "ggn", "--json", tj);
        code.Should().Be(0, err);
        output.Should().Contain("0.weight:").And.Contain("2.bias:");
        using (var doc = JsonDocument.Parse(File.ReadAllText(tj)))
        {
            var root = doc.RootElement;
            root.GetProperty("operator").GetString().Should().Be("ggn");
            root.GetProperty("lower").GetDouble().Should().BeLessThan(root.GetProperty("upper").GetDouble());
            root.GetProperty("blocks").GetArrayLength().Should().Be(4);
            // Hutch++ by default: 50 applications = a sketch of k (A S), k more for tr(Q^T A Q), and 50 - 2k residual probes.
            root.GetProperty("estimator").GetString().Should().Be("hutch++");
            int k = root.GetProperty("sketchSize").GetInt32();
            k.Should().BeGreaterThan(0);
            root.GetProperty("samples").GetArrayLength().Should().Be(50 - 2 * k);
        }
        (code, _, err) = CliTests.Run("trace", "--model", "mlp:4-6-3", "--weights", weights, "--data", data, "--dtype", "float64",
            "--probes", "50", "--operator", "ggn", "--estimator", "hutchinson", "--json", tj);
        code.Should().Be(0, err);
        using (var doc = JsonDocument.Parse(File.ReadAllText(tj)))
        {
            doc.RootElement.GetProperty("estimator").GetString().Should().Be("hutchinson");
            doc.RootElement.GetProperty("samples").GetArrayLength().Should().Be(50, "plain Hutchinson keeps one sample per probe");
        }
    }

    [Fact]
    public void BadInput_ExitsTwo_WithMessagesThatSayWhatToDo()
    {
        var (_, weights, data) = Files();
        var (code, _, err) = CliTests.Run("spectrum", "--model", "mlp:4-6-3", "--weights", weights, "--data", "imagenet");
        code.Should().Be(2);
        err.Should().Contain("Data set 'imagenet' is not known").And.Contain(".safetensors");
        (code, _, err) = CliTests.Run("spectrum", "--model", "mlp:4-6-3", "--data", data);
        code.Should().Be(2);
        err.Should().Contain("--weights");
        (code, _, err) = CliTests.Run("spectrum", "--model", "mlp:4-6-2", "--weights", weights, "--data", data);
        code.Should().Be(2);
        err.Should().Contain("--model mlp:4-6-2").And.Contain("3 classes");
        (code, _, err) = CliTests.Run("spectrum", "--model", "mlp:4-6-3", "--weights", weights, "--data", data, "--method", "arnoldi");
        code.Should().Be(2);
        err.Should().Contain("'arnoldi' is not valid");
    }
}

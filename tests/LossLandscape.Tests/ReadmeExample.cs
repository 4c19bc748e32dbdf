// The README's C# examples, compiled and run by ReadmeExampleTests. Each README-BEGIN/README-END region is one ```csharp
// block of the README, in order; the test checks that the two agree.
using LossLandscape.Checkpoints;
using LossLandscape.Curvature;
using LossLandscape.Data;
using LossLandscape.Landscape;
using LossLandscape.Losses;
using LossLandscape.Parameters;
using LossLandscape.Spectra;
using LossLandscape.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests;

internal static class ReadmeExample
{
    /// <summary>The model and data every example uses: the caller's own module and tensors.</summary>
    public static (nn.Module<Tensor, Tensor> Model, Tensor X, Tensor Y) Setup()
    {
        // README-BEGIN setup
        manual_seed(0);
        var model = nn.Sequential(("fc1", nn.Linear(20, 64)), ("act", nn.Tanh()), ("fc2", nn.Linear(64, 4)));
        model.to(ScalarType.Float64);                        // any nn.Module<Tensor, Tensor>
        var x = randn(512, 20, dtype: ScalarType.Float64);   // your inputs [N, ...]
        var y = randint(0, 4, new long[] { 512 });           // your int64 labels [N]
        // README-END
        return (model, x, y);
    }

    public static double[] TopEigenvalues(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        // README-BEGIN top-k
        var data = BatchSource.FromTensors(x, y, batchSize: 128);      // reads your tensors, never disposes them
        var hessian = new HessianOperator(model, new CrossEntropyLoss(), data);
        using var top = Lanczos.Run(hessian, new LanczosOptions(Top: 5, Seed: 1));
        Console.WriteLine($"top eigenvalues: {string.Join(", ", top.Eigenvalues)}");
        // README-END
        return top.Eigenvalues;
    }

    public static TraceResult Trace(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        // README-BEGIN trace
        var hessian = new HessianOperator(model, new CrossEntropyLoss(), BatchSource.FromTensors(x, y));
        var trace = Hutchinson.Estimate(hessian, new HutchinsonOptions(Probes: 30, Seed: 1));
        Console.WriteLine($"tr H = {trace.Trace:G4}, 95% interval [{trace.Lower:G4}, {trace.Upper:G4}]");
        // README-END
        return trace;
    }

    public static LineScanResult Interpolate(nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor> other, Tensor x, Tensor y)
    {
        // README-BEGIN line
        var train = BatchSource.FromTensors(x, y, batchSize: 256);      // your tensors stay yours
        var probe = new LandscapeProbe(model, train);
        using var a = ModelPoint.Capture(probe.Space);                  // the model's weights (and buffers)
        using var b = ModelPoint.Capture(new ParameterSpace(other));     // a second model of the same architecture
        var line = probe.Interpolate(a, b, Alphas.Linspace(-1, 2, 31));    // (1 - a) theta_A + a theta_B
        foreach (var p in line.Points) Console.WriteLine($"{p.Alpha:F2} {p.Loss:F4} {p.Accuracy:P1}");
        // README-END
        return line;
    }

    public static PlaneScanResult Surface(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        // README-BEGIN surface
        var probe = new LandscapeProbe(model, BatchSource.FromTensors(x, y, batchSize: 256));
        using var theta = probe.Space.Get();
        using var plane = Directions.FilterNormalizedPlane(probe.Space, theta, new Generator(0));   // Li et al. 2018
        var surface = probe.ScanPlane(plane, new GridSpec(-1, 1, 11, -1, 1, 11));
        Console.WriteLine($"loss at the centre {surface.Losses[5][5]:F4}, at a corner {surface.Losses[0][0]:F4}");
        // README-END
        return surface;
    }

    public static (double Top, Tensor X) RegressionHessian()
    {
        // README-BEGIN regression
        manual_seed(1);
        var linear = nn.Linear(20, 1, hasBias: false);
        linear.to(ScalarType.Float64);
        var x = randn(256, 20, dtype: ScalarType.Float64);
        var targets = randn(256, dtype: ScalarType.Float64);            // float targets: regression with MSE
        var hessian = new HessianOperator(linear, new SquaredErrorLoss(), BatchSource.FromTensors(x, targets));
        double top = Lanczos.Run(hessian, new LanczosOptions(Top: 1)).Eigenvalues[0];   // H = 2 X^T X / N here
        // README-END
        return (top, x);
    }

    public static TrainingResult Train(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, string folder)
    {
        // README-BEGIN train
        var train = BatchSource.FromTensors(x, y, batchSize: 256);      // mini-batches: a seeded shuffle per epoch
        var options = new TrainingOptions
        {
            Loss = new CrossEntropyLoss(), BatchSize = 64, Steps = 200, LearningRate = 0.05,
            Momentum = 0.9, WeightDecay = 5e-4, Schedule = new CosineSchedule(), EvalEvery = 50,
        };
        using var trainer = new Trainer(model, train, test: null, options, runDirectory: folder);
        var result = trainer.Run();                                   // history, checkpoints in folder
        Console.WriteLine($"train loss {result.History[0].TrainLoss:F3} -> {result.History[^1].TrainLoss:F3}");
        Checkpoint.Save(model, Path.Combine(folder, "mine.safetensors"));   // PyTorch-compatible names
        // README-END
        return result;
    }
}

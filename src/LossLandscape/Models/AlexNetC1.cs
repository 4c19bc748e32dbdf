using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>
/// The AlexNet-style convolutional net C1 of Keskar et al. (2017, "On Large-Batch Training for Deep Learning:
/// Generalization Gap and Sharp Minima", table 1), and a "bare" variant without BatchNorm and dropout.
/// </summary>
/// <remarks>
/// Exact layers (names in parentheses). With BatchNorm (<c>alexnet-c1</c>):
/// <c>[conv 5x5, 64 filters, stride 1, padding 2 -> BatchNorm2d -> ReLU -> max-pool 3x3, stride 2, padding 1]</c>
/// twice (<c>features.0..7</c>), flatten, <c>Linear(64 * H/4 * W/4, 384) -> BatchNorm1d -> ReLU -> Dropout(0.5)</c>,
/// <c>Linear(384, 192) -> BatchNorm1d -> ReLU -> Dropout(0.5)</c> (<c>classifier.0..7</c>), <c>Linear(192, k)</c>
/// (<c>classifier.8</c>). The bare variant (<c>alexnet-bare</c>) is the same without the BatchNorm and Dropout layers
/// (convolutions then have biases as before; every layer keeps its bias). Spatial sizes: H -> ceil(H / 2) per pool, so
/// 32x32 becomes 8x8 (4096 features) and 28x28 becomes 7x7 (3136). Torch's default initialization is used.
/// </remarks>
public sealed class AlexNetC1 : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> features;
    private readonly nn.Module<Tensor, Tensor> classifier;

    /// <summary>Creates the net for inputs of shape <c>[C, H, W]</c> and <paramref name="classes"/> outputs.</summary>
    /// <exception cref="LossLandscapeException">The input shape is not C x H x W with positive sizes, or classes is below 1.</exception>
    public AlexNetC1(IReadOnlyList<long> inputShape, int classes = 10, bool batchNorm = true) : base(batchNorm ? "AlexNetC1" : "AlexNetBare")
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Count != 3 || inputShape.Any(s => s < 1))
            throw new LossLandscapeException($"AlexNet-style nets take images C x H x W (for example 3x32x32); got [{string.Join("x", inputShape)}].");
        if (classes < 1) throw new LossLandscapeException($"The class count must be at least 1; got {classes}.");
        BatchNorm = batchNorm;
        InputShape = inputShape.ToArray();
        long c = inputShape[0];
        long h = inputShape[1], w = inputShape[2];
        var f = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < 2; i++)
        {
            f.Add(nn.Conv2d(i == 0 ? c : 64, 64, kernel_size: 5, stride: 1, padding: 2));
            if (batchNorm) f.Add(nn.BatchNorm2d(64));
            f.Add(nn.ReLU());
            f.Add(nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1));
            h = (h + 2 - 3) / 2 + 1;
            w = (w + 2 - 3) / 2 + 1;
        }
        features = nn.Sequential(f);
        var k = new List<nn.Module<Tensor, Tensor>>();
        long width = 64 * h * w;
        foreach (var next in new long[] { 384, 192 })
        {
            k.Add(nn.Linear(width, next));
            if (batchNorm) k.Add(nn.BatchNorm1d(next));
            k.Add(nn.ReLU());
            if (batchNorm) k.Add(nn.Dropout(0.5));
            width = next;
        }
        k.Add(nn.Linear(width, classes));
        classifier = nn.Sequential(k);
        RegisterComponents();
    }

    /// <summary>True for C1 (BatchNorm and dropout), false for the bare variant.</summary>
    public bool BatchNorm { get; }

    /// <summary>The example shape C x H x W the net was built for (its classifier's input size depends on H and W).</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return classifier.call(features.call(input).flatten(1)).MoveToOuterDisposeScope();
    }
}

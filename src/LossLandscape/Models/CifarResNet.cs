using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>
/// The ResNet for CIFAR-10 of He et al. (2016, "Deep Residual Learning for Image Recognition", section 4.2): a 3x3
/// convolution with 16 filters, then three stages of n basic blocks with 16, 32 and 64 filters (the first block of
/// stages 2 and 3 halves the spatial size with stride 2), global average pooling and a linear classifier; depth 6n+2.
/// Shortcuts are option A: the identity, and where the shape changes, the input subsampled with stride 2 and padded
/// with zero channels. With <c>shortcuts: false</c> the blocks have no skip connection (the "noshort" nets of
/// Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets").
/// </summary>
/// <remarks>
/// A block computes <c>relu(bn2(conv2(relu(bn1(conv1(x))))) + s(x))</c> with s the shortcut (absent without shortcuts).
/// Convolutions have no bias (BatchNorm follows each). Weights of convolutions and of the classifier are initialized
/// with Kaiming-normal (gain sqrt 2, fan-in); BatchNorm starts at scale 1, shift 0. Parameter names follow the common
/// PyTorch implementation: <c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, ..., <c>linear</c>. Any input of shape
/// <c>[P, C, H, W]</c> works (for example 3x32x32 or 1x28x28); the parameter count is
/// 16 (9 C + 2) + sum over blocks of the convolutions and BatchNorms + 64 k + k, for example 269,722 for ResNet-20
/// with C = 3 and k = 10.
/// </remarks>
public sealed class CifarResNet : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> layer1;
    private readonly nn.Module<Tensor, Tensor> layer2;
    private readonly nn.Module<Tensor, Tensor> layer3;
    private readonly nn.Module<Tensor, Tensor> linear;

    /// <summary>The depths 6n+2 that are commonly used (any 6n+2 with n >= 1 is accepted).</summary>
    public static IReadOnlyList<int> CommonDepths { get; } = new[] { 20, 32, 44, 56, 110 };

    /// <summary>Creates a ResNet of depth <paramref name="depth"/> = 6n+2.</summary>
    /// <param name="depth">6n+2 with n >= 1 (20, 32, 44, 56, 110, ...).</param>
    /// <param name="inputChannels">C of the input images.</param>
    /// <param name="classes">k, the number of outputs.</param>
    /// <param name="shortcuts">False for the variant without skip connections.</param>
    /// <exception cref="LossLandscapeException">The depth is not 6n+2, or the channel or class count is below 1.</exception>
    public CifarResNet(int depth, int inputChannels = 3, int classes = 10, bool shortcuts = true) : base(shortcuts ? $"ResNet{depth}" : $"ResNet{depth}NoShort")
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new LossLandscapeException($"A CIFAR ResNet has depth 6n+2 with n >= 1 (for example {string.Join(", ", CommonDepths)}); got {depth}.");
        if (inputChannels < 1) throw new LossLandscapeException($"Input channels must be at least 1; got {inputChannels}.");
        if (classes < 1) throw new LossLandscapeException($"The class count must be at least 1; got {classes}.");
        Depth = depth;
        Shortcuts = shortcuts;
        int n = (depth - 2) / 6;
        conv1 = nn.Conv2d(inputChannels, 16, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(16);
        layer1 = Stage(16, 16, n, 1, shortcuts);
        layer2 = Stage(16, 32, n, 2, shortcuts);
        layer3 = Stage(32, 64, n, 2, shortcuts);
        linear = nn.Linear(64, classes);
        RegisterComponents();
        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            if (m is TorchSharp.Modules.Conv2d c) nn.init.kaiming_normal_(c.weight);
            else if (m is TorchSharp.Modules.Linear l) nn.init.kaiming_normal_(l.weight);
        }
    }

    /// <summary>6n+2.</summary>
    public int Depth { get; }

    /// <summary>Whether the blocks have skip connections.</summary>
    public bool Shortcuts { get; }

    private static nn.Module<Tensor, Tensor> Stage(int inPlanes, int planes, int blocks, int stride, bool shortcuts)
    {
        var list = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < blocks; i++)
            list.Add(new ResNetBasicBlock(i == 0 ? inPlanes : planes, planes, i == 0 ? stride : 1, shortcuts));
        return nn.Sequential(list);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.call(conv1.call(input)));
        x = layer3.call(layer2.call(layer1.call(x)));
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1);
        return linear.call(x).MoveToOuterDisposeScope();
    }
}

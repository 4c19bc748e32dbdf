using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>
/// The basic block of <see cref="CifarResNet"/>: two 3x3 convolutions with BatchNorm, and an option-A shortcut.
/// </summary>
/// <remarks>
/// out = relu(bn2(conv2(relu(bn1(conv1(x))))) + s(x)). When the stride is 2 or the channel count grows,
/// s(x) = zero-pad-channels(x[:, :, ::2, ::2]) with (planes - inPlanes) / 2 zero channels on each side (parameter-free),
/// otherwise s(x) = x. Without shortcuts the "+ s(x)" is left out.
/// </remarks>
public sealed class ResNetBasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> bn2;
    private readonly bool _shortcut;
    private readonly int _stride;
    private readonly long _padBefore;
    private readonly long _padAfter;

    /// <summary>Creates the block.</summary>
    public ResNetBasicBlock(int inPlanes, int planes, int stride, bool shortcut) : base("BasicBlock")
    {
        conv1 = nn.Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        _shortcut = shortcut;
        _stride = stride;
        long extra = planes - inPlanes;
        _padBefore = extra / 2;
        _padAfter = extra - extra / 2;
        RegisterComponents();
    }

    /// <summary>Whether the block adds its shortcut (for permutation alignment, which must know the residual ties).</summary>
    internal bool HasShortcut => _shortcut;

    /// <summary>The zero channels the option-A shortcut puts before the input's channels (0 when the width does not change).</summary>
    internal long PadBefore => _padBefore;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var o = nn.functional.relu(bn1.call(conv1.call(input)));
        o = bn2.call(conv2.call(o));
        if (_shortcut)
        {
            var s = input;
            if (_stride != 1) s = s[.., .., TensorIndex.Slice(null, null, _stride), TensorIndex.Slice(null, null, _stride)];
            if (_padBefore != 0 || _padAfter != 0) s = nn.functional.pad(s, new[] { 0L, 0, 0, 0, _padBefore, _padAfter });
            o = o + s;
        }
        return nn.functional.relu(o).MoveToOuterDisposeScope();
    }
}

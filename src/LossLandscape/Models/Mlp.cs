using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>
/// A fully connected network <c>Linear, act, Linear, act, ..., Linear</c> whose submodules are named like PyTorch's
/// <c>nn.Sequential</c> (<c>0</c>, <c>1</c>, <c>2</c>, ...), so its state dict keys are <c>0.weight</c>, <c>0.bias</c>,
/// <c>2.weight</c>, ... and PyTorch checkpoints load directly. Inputs of any shape <c>[P, ...]</c> are flattened to
/// <c>[P, d]</c>.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly List<nn.Module<Tensor, Tensor>> _layers = new();

    /// <summary>Creates the MLP with layer widths <paramref name="widths"/> (input, hidden..., output).</summary>
    /// <exception cref="LossLandscapeException">Fewer than two widths, or a width below 1.</exception>
    public Mlp(IReadOnlyList<int> widths, Activation activation = Activation.ReLU) : base("Mlp")
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (widths.Count < 2)
            throw new LossLandscapeException("An MLP needs at least an input and an output width (for example 784-10).");
        if (widths.Any(w => w < 1))
            throw new LossLandscapeException($"MLP widths must be positive; got {string.Join("-", widths)}.");
        Widths = widths.ToArray();
        Activation = activation;
        int index = 0;
        for (int i = 0; i + 1 < widths.Count; i++)
        {
            var linear = nn.Linear(widths[i], widths[i + 1]);
            register_module((index++).ToString(System.Globalization.CultureInfo.InvariantCulture), linear);
            _layers.Add(linear);
            if (i + 2 < widths.Count)
            {
                nn.Module<Tensor, Tensor> act = activation switch
                {
                    Activation.ReLU => nn.ReLU(),
                    Activation.Tanh => nn.Tanh(),
                    Activation.Sigmoid => nn.Sigmoid(),
                    _ => throw new ArgumentOutOfRangeException(nameof(activation)),
                };
                register_module((index++).ToString(System.Globalization.CultureInfo.InvariantCulture), act);
                _layers.Add(act);
            }
        }
    }

    /// <summary>Layer widths: input, hidden..., output.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>The hidden nonlinearity.</summary>
    public Activation Activation { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var x = input.dim() == 2 ? input : input.reshape(input.shape[0], -1);
        foreach (var layer in _layers) x = layer.call(x);
        return x;
    }
}

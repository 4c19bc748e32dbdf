using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>
/// A two-layer network in the mean-field scaling (Mei, Montanari and Nguyen 2018; Chizat and Bach 2018):
/// one output f(x) = (1/N) sum_{i=1..N} a_i sigma(&lt;w_i, x&gt;).
/// </summary>
/// <remarks>
/// Parameters: <c>hidden.weight</c> = W in R^{N x d} (rows w_i, no bias) and <c>output.weight</c> = a in R^{1 x N}
/// (no bias). Initialization: w_i ~ N(0, I_d / d), a_i ~ N(0, 1), so that f is O(1/sqrt N) at initialization and the
/// 1/N factor (not 1/sqrt N) is what makes the dynamics a mean-field limit. The output has shape [P, 1]; use it with the
/// squared-error loss on +-1 targets (or the sign as the prediction).
/// </remarks>
public sealed class MeanFieldNet : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> hidden;
    private readonly nn.Module<Tensor, Tensor> output;
    private readonly nn.Module<Tensor, Tensor> _sigma;

    /// <summary>Creates the net with input dimension <paramref name="inputDim"/> and <paramref name="width"/> neurons.</summary>
    /// <exception cref="LossLandscapeException">A size is below 1.</exception>
    public MeanFieldNet(int inputDim, int width, Activation activation = Activation.ReLU) : base("MeanFieldNet")
    {
        if (inputDim < 1 || width < 1)
            throw new LossLandscapeException($"A mean-field net needs d >= 1 and N >= 1; got d = {inputDim}, N = {width}.");
        InputDim = inputDim;
        Width = width;
        Activation = activation;
        var h = nn.Linear(inputDim, width, hasBias: false);
        var o = nn.Linear(width, 1, hasBias: false);
        using (no_grad())
        {
            nn.init.normal_(h.weight, 0, 1 / Math.Sqrt(inputDim));
            nn.init.normal_(o.weight, 0, 1);
        }
        hidden = h;
        output = o;
        _sigma = activation switch
        {
            Activation.ReLU => nn.ReLU(),
            Activation.Tanh => nn.Tanh(),
            Activation.Sigmoid => nn.Sigmoid(),
            _ => throw new ArgumentOutOfRangeException(nameof(activation)),
        };
        RegisterComponents();
    }

    /// <summary>d.</summary>
    public int InputDim { get; }

    /// <summary>N.</summary>
    public int Width { get; }

    /// <summary>sigma.</summary>
    public Activation Activation { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.dim() == 2 ? input : input.reshape(input.shape[0], -1);
        return output.call(_sigma.call(hidden.call(x))).div(Width).MoveToOuterDisposeScope();
    }
}

using System.Globalization;
using static TorchSharp.torch;

using LossLandscape.Models;

namespace LossLandscape.Specs;

/// <summary>
/// A model described by one string, used everywhere (command line, run descriptions, samples):
/// <c>mlp:784-500-300-10</c>, <c>mlp:784-5-10:tanh</c>, <c>resnet20</c> (also 32, 44, 56, 110 or any 6n+2),
/// <c>resnet56-noshort</c>, <c>alexnet-c1</c>, <c>alexnet-bare</c>, <c>meanfield:40x800</c> (optionally
/// <c>meanfield:40x800:tanh</c>).
/// </summary>
/// <remarks>
/// MLPs and mean-field nets fix their input size in the spec. Convolutional nets take their input shape and class
/// count from <see cref="Create(IReadOnlyList{long}, int)"/> (default 3x32x32 and 10 classes, see
/// <see cref="DefaultInputShape"/>), so <c>resnet20</c> also builds for 1x28x28 images.
/// </remarks>
public sealed record ModelSpec
{
    /// <summary>What <see cref="Parse"/> accepts, for error and help texts.</summary>
    public const string Syntax =
        "mlp:IN-H1-...-OUT[:relu|tanh|sigmoid] (for example mlp:784-500-300-10 or mlp:784-5-10:tanh), " +
        "resnetD[-noshort] with D = 6n+2 (resnet20, resnet32, resnet44, resnet56, resnet110, resnet56-noshort), " +
        "alexnet-c1, alexnet-bare, meanfield:DxN[:relu|tanh|sigmoid] (for example meanfield:40x800)";

    private ModelSpec(string text, string family, int[] widths, Activation activation, int depth = 0, bool shortcuts = true, bool batchNorm = false)
    {
        Text = text;
        Family = family;
        Widths = widths;
        Activation = activation;
        Depth = depth;
        Shortcuts = shortcuts;
        BatchNorm = batchNorm;
    }

    /// <summary>The spec as written (normalized to lower case).</summary>
    public string Text { get; }

    /// <summary>The model family: <c>mlp</c>, <c>resnet</c>, <c>alexnet</c> or <c>meanfield</c>.</summary>
    public string Family { get; }

    /// <summary>Layer widths for MLPs; [d, N] for mean-field nets; empty otherwise.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>Hidden activation for MLPs and mean-field nets (ReLU for the convolutional nets).</summary>
    public Activation Activation { get; }

    /// <summary>Depth 6n+2 for ResNets; 0 otherwise.</summary>
    public int Depth { get; }

    /// <summary>Whether a ResNet has skip connections (false for <c>-noshort</c>).</summary>
    public bool Shortcuts { get; }

    /// <summary>Whether an AlexNet-style net has BatchNorm and dropout (<c>alexnet-c1</c>) or not (<c>alexnet-bare</c>).</summary>
    public bool BatchNorm { get; }

    /// <summary>The input shape of one example the spec implies or defaults to: [IN] for MLPs, [d] for mean-field nets, [3, 32, 32] otherwise.</summary>
    public IReadOnlyList<long> DefaultInputShape => Family switch
    {
        "mlp" or "meanfield" => new long[] { Widths[0] },
        _ => new long[] { 3, 32, 32 },
    };

    /// <summary>True for the convolutional families (ResNets, AlexNet-style nets), which take image inputs.</summary>
    public bool IsConvolutional => Family is not ("mlp" or "meanfield");

    /// <summary>The number of outputs the spec implies or defaults to: OUT for MLPs, 1 for mean-field nets, 10 otherwise.</summary>
    public int DefaultClasses => Family switch
    {
        "mlp" => Widths[^1],
        "meanfield" => 1,
        _ => 10,
    };

    /// <summary>Parses a spec string.</summary>
    /// <exception cref="LossLandscapeException">The string is malformed; the message lists what is accepted.</exception>
    public static ModelSpec Parse(string? text)
    {
        var s = (text ?? "").Trim().ToLowerInvariant();
        if (s.StartsWith("mlp:", StringComparison.Ordinal))
        {
            var parts = s[4..].Split(':');
            if (parts.Length is < 1 or > 2)
                throw Malformed(text, "too many ':' parts");
            var widths = new List<int>();
            foreach (var w in parts[0].Split('-'))
                widths.Add(PositiveInt(text, w, "width"));
            if (widths.Count < 2) throw Malformed(text, "an MLP needs at least an input and an output width");
            var act = parts.Length == 2 ? ParseActivation(text, parts[1]) : Activation.ReLU;
            return new ModelSpec(s, "mlp", widths.ToArray(), act);
        }
        if (s.StartsWith("meanfield:", StringComparison.Ordinal))
        {
            var parts = s[10..].Split(':');
            if (parts.Length is < 1 or > 2) throw Malformed(text, "too many ':' parts");
            var dims = parts[0].Split('x');
            if (dims.Length != 2) throw Malformed(text, "a mean-field net is written meanfield:DxN (input dimension x width)");
            int d = PositiveInt(text, dims[0], "input dimension");
            int n = PositiveInt(text, dims[1], "width");
            var act = parts.Length == 2 ? ParseActivation(text, parts[1]) : Activation.ReLU;
            return new ModelSpec(s, "meanfield", new[] { d, n }, act);
        }
        if (s.StartsWith("resnet", StringComparison.Ordinal))
        {
            var body = s[6..];
            bool shortcuts = true;
            if (body.EndsWith("-noshort", StringComparison.Ordinal))
            {
                shortcuts = false;
                body = body[..^8];
            }
            if (!int.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out var depth))
                throw Malformed(text, $"depth '{body}' is not a whole number");
            if (depth < 8 || (depth - 2) % 6 != 0)
                throw Malformed(text, $"depth {depth} is not of the form 6n+2 (20, 32, 44, 56, 110, ...)");
            return new ModelSpec(s, "resnet", Array.Empty<int>(), Activation.ReLU, depth, shortcuts);
        }
        if (s is "alexnet-c1" or "alexnet-bare")
            return new ModelSpec(s, "alexnet", Array.Empty<int>(), Activation.ReLU, batchNorm: s == "alexnet-c1");
        throw Malformed(text, "unknown model family");
    }

    /// <summary>
    /// Builds a freshly initialized model for <see cref="DefaultInputShape"/> and <see cref="DefaultClasses"/>
    /// (initialization draws from Torch's global generator: seed it first for a reproducible model).
    /// </summary>
    public nn.Module<Tensor, Tensor> Create() => Create(DefaultInputShape, DefaultClasses);

    /// <summary>
    /// Builds a freshly initialized model for examples of shape <paramref name="inputShape"/> (without the leading
    /// P) and <paramref name="classes"/> classes. MLPs and mean-field nets flatten their input and require its size to
    /// equal the spec's input width; an MLP's output width must equal <paramref name="classes"/> (or be 1 with two
    /// classes); a mean-field net has one output and accepts 1 or 2 classes.
    /// </summary>
    /// <exception cref="LossLandscapeException">The shape or class count does not fit the spec.</exception>
    public nn.Module<Tensor, Tensor> Create(IReadOnlyList<long> inputShape, int classes)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Count == 0 || inputShape.Any(x => x < 1))
            throw new LossLandscapeException($"Input shape [{string.Join("x", inputShape)}] is not valid: give positive sizes, for example 3x32x32 or 784.");
        if (classes < 1) throw new LossLandscapeException($"The class count must be at least 1; got {classes}.");
        long size = inputShape.Aggregate(1L, (a, b) => a * b);
        switch (Family)
        {
            case "mlp":
                if (size != Widths[0])
                    throw new LossLandscapeException($"Model '{Text}' takes inputs of size {Widths[0]}, but the examples have shape {FormatShape(inputShape)} (size {size}); change the first width to {size}.");
                if (Widths[^1] != classes && !(Widths[^1] == 1 && classes == 2))
                    throw new LossLandscapeException($"Model '{Text}' has {Widths[^1]} outputs, but the data have {classes} classes; change the last width to {classes}.");
                return new Mlp(Widths, Activation);
            case "meanfield":
                if (size != Widths[0])
                    throw new LossLandscapeException($"Model '{Text}' takes inputs of size {Widths[0]}, but the examples have shape {FormatShape(inputShape)} (size {size}).");
                if (classes > 2)
                    throw new LossLandscapeException($"Model '{Text}' has one output (binary labels), but the data have {classes} classes.");
                return new MeanFieldNet(Widths[0], Widths[1], Activation);
            case "resnet":
                if (inputShape.Count != 3)
                    throw new LossLandscapeException($"Model '{Text}' takes images C x H x W, but the examples have shape {FormatShape(inputShape)}.");
                return new CifarResNet(Depth, (int)inputShape[0], classes, Shortcuts);
            case "alexnet":
                return new AlexNetC1(inputShape, classes, BatchNorm);
            default:
                throw new LossLandscapeException($"Model family '{Family}' cannot be built.");
        }
    }

    /// <summary>Parses an input shape written <c>3x32x32</c> or <c>784</c>.</summary>
    /// <exception cref="LossLandscapeException">Not a list of positive whole numbers separated by 'x'.</exception>
    public static long[] ParseShape(string? text)
    {
        var parts = (text ?? "").Trim().ToLowerInvariant().Split('x');
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
                throw new LossLandscapeException($"Input shape '{text}' is not valid: write positive sizes separated by 'x', for example 3x32x32, 1x28x28 or 784.");
        }
        return shape;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static string FormatShape(IReadOnlyList<long> shape) => string.Join("x", shape);

    private static int PositiveInt(string? text, string s, string what)
    {
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            throw Malformed(text, $"{what} '{s}' is not a positive whole number");
        return n;
    }

    private static Activation ParseActivation(string? text, string s) => s switch
    {
        "relu" => Activation.ReLU,
        "tanh" => Activation.Tanh,
        "sigmoid" => Activation.Sigmoid,
        _ => throw Malformed(text, $"activation '{s}' is not one of relu, tanh, sigmoid"),
    };

    private static LossLandscapeException Malformed(string? text, string why) =>
        new($"Model spec '{text}' is not valid ({why}). Accepted: {Syntax}.");
}

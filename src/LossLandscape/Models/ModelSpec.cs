using System.Globalization;
using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>
/// A model described by one string, used everywhere (command line, run descriptions, samples):
/// <c>mlp:784-500-300-10</c>, <c>mlp:784-5-10:tanh</c>.
/// </summary>
public sealed record ModelSpec
{
    /// <summary>What <see cref="Parse"/> accepts, for error and help texts.</summary>
    public const string Syntax = "mlp:IN-H1-...-OUT[:relu|tanh|sigmoid] (for example mlp:784-500-300-10 or mlp:784-5-10:tanh)";

    private ModelSpec(string text, string family, int[] widths, Activation activation)
    {
        Text = text;
        Family = family;
        Widths = widths;
        Activation = activation;
    }

    /// <summary>The spec as written (normalized to lower case).</summary>
    public string Text { get; }

    /// <summary>The model family (<c>mlp</c>).</summary>
    public string Family { get; }

    /// <summary>Layer widths for MLPs.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>Hidden activation for MLPs.</summary>
    public Activation Activation { get; }

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
            {
                if (!int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                    throw Malformed(text, $"width '{w}' is not a positive whole number");
                widths.Add(n);
            }
            if (widths.Count < 2) throw Malformed(text, "an MLP needs at least an input and an output width");
            var act = Activation.ReLU;
            if (parts.Length == 2)
            {
                act = parts[1] switch
                {
                    "relu" => Activation.ReLU,
                    "tanh" => Activation.Tanh,
                    "sigmoid" => Activation.Sigmoid,
                    _ => throw Malformed(text, $"activation '{parts[1]}' is not one of relu, tanh, sigmoid"),
                };
            }
            return new ModelSpec(s, "mlp", widths.ToArray(), act);
        }
        throw Malformed(text, "unknown model family");
    }

    /// <summary>Builds a freshly initialized model (Torch's default initialization, from the global generator).</summary>
    public nn.Module<Tensor, Tensor> Create() => Family switch
    {
        "mlp" => new Mlp(Widths, Activation),
        _ => throw new LossLandscapeException($"Model family '{Family}' cannot be built."),
    };

    /// <inheritdoc />
    public override string ToString() => Text;

    private static LossLandscapeException Malformed(string? text, string why) =>
        new($"Model spec '{text}' is not valid ({why}). Accepted: {Syntax}.");
}

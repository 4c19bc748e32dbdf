using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>The layers of a model and its parameter count.</summary>
/// <param name="Layers">Leaf modules in registration order.</param>
/// <param name="TotalParameters">All parameters.</param>
/// <param name="TrainableParameters">Parameters with <c>requires_grad</c>.</param>
public sealed record ModelSummary(IReadOnlyList<LayerInfo> Layers, long TotalParameters, long TrainableParameters)
{
    /// <summary>Summarizes <paramref name="module"/>.</summary>
    public static ModelSummary Of(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var layers = new List<LayerInfo>();
        foreach (var (name, m) in module.named_modules())
        {
            if (m.named_children().Any()) continue;
            var own = m.named_parameters(recurse: false).ToList();
            layers.Add(new LayerInfo(name, m.GetType().Name, own.Sum(p => p.parameter.numel()),
                string.Join(" ", own.Select(p => $"{p.name}[{string.Join("x", p.parameter.shape)}]"))));
        }
        var all = module.parameters().ToList();
        return new ModelSummary(layers, all.Sum(p => p.numel()), all.Where(p => p.requires_grad).Sum(p => p.numel()));
    }
}

using LossLandscape.Parameters;
using static TorchSharp.torch;

namespace LossLandscape.Landscape;

/// <summary>
/// A point in weight space: the flat parameter vector theta and, optionally, the model's buffers (BatchNorm running
/// statistics) at that point, for <see cref="BatchNormPolicy.InterpolateStatistics"/>.
/// </summary>
/// <param name="Theta">The flat parameter vector (see <see cref="ParameterSpace.Get"/>).</param>
/// <param name="Buffers">Buffers by state-dict name, or null when not known.</param>
/// <remarks>A point made by <see cref="Capture"/> owns its copies; <see cref="Dispose"/> frees the tensors it holds (a point made from the caller's own tensors need not be disposed).</remarks>
public sealed record ModelPoint(Tensor Theta, IReadOnlyDictionary<string, Tensor>? Buffers = null) : IDisposable
{
    /// <summary>Frees <see cref="Theta"/> and the buffers.</summary>
    public void Dispose()
    {
        Theta.Dispose();
        if (Buffers is not null) foreach (var b in Buffers.Values) b.Dispose();
    }

    /// <summary>Copies the current parameters and buffers of the space's module.</summary>
    public static ModelPoint Capture(ParameterSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        var theta = space.Get().DetachFromDisposeScope();
        var buffers = new Dictionary<string, Tensor>();
        using (no_grad())
        using (NewDisposeScope())
        {
            foreach (var (name, b) in space.Module.named_buffers())
                buffers[name] = b.detach().clone().DetachFromDisposeScope();
        }
        return new ModelPoint(theta, buffers);
    }
}

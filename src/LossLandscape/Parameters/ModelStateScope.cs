using static TorchSharp.torch;

namespace LossLandscape.Parameters;

/// <summary>
/// Holds a copy of a module's state (by default all of it: parameters, buffers such as BatchNorm running statistics,
/// and the train/eval flags of every submodule). <see cref="Dispose"/> writes it back exactly, so a probe that moves
/// the model, or that throws half-way, leaves the model as it found it. The library's one way of entering a mode and
/// leaving the model as it was: the curvature operators keep the modes (and in train mode the buffers, which forward
/// passes update), the probes keep everything.
/// </summary>
public sealed class ModelStateScope : IDisposable
{
    private readonly nn.Module _module;
    private readonly List<(Tensor Live, Tensor Saved)> _state = new();
    private readonly List<(nn.Module Module, bool Training)> _modes = new();
    private bool _disposed;

    /// <summary>Snapshots the <paramref name="parts"/> of <paramref name="module"/>'s state.</summary>
    public ModelStateScope(nn.Module module, ModelStateParts parts = ModelStateParts.All)
    {
        _module = module ?? throw new ArgumentNullException(nameof(module));
        using var _ = no_grad();
        using var scope = NewDisposeScope();   // frees the detach() views; the copies are detached from it
        if (parts.HasFlag(ModelStateParts.Parameters))
            foreach (var (_, p) in module.named_parameters())
                _state.Add((p, p.detach().clone().DetachFromDisposeScope()));
        if (parts.HasFlag(ModelStateParts.Buffers))
            foreach (var (_, b) in module.named_buffers())
                _state.Add((b, b.detach().clone().DetachFromDisposeScope()));
        if (parts.HasFlag(ModelStateParts.Modes))
        {
            _modes.Add((module, module.training));
            foreach (var (_, m) in module.named_modules())
                _modes.Add((m, m.training));
        }
    }

    /// <summary>
    /// Keeps the modes of <paramref name="module"/> (and, for <paramref name="training"/>, its buffers, which train-mode
    /// forward passes change), then puts it in train or eval mode; disposing puts everything back.
    /// </summary>
    public static ModelStateScope EnterMode(nn.Module module, bool training)
    {
        var scope = new ModelStateScope(module, training ? ModelStateParts.Modes | ModelStateParts.Buffers : ModelStateParts.Modes);
        module.train(training);
        return scope;
    }

    /// <summary>Restores the snapshot now (the scope stays usable until disposed).</summary>
    public void Restore()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (live, saved) in _state) live.copy_(saved);
        foreach (var (m, training) in _modes) m.train(training);
    }

    /// <summary>Restores the snapshot and frees it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Restore();
        foreach (var (_, saved) in _state) saved.Dispose();
        _state.Clear();
        _disposed = true;
    }
}

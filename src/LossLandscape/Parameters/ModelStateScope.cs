using static TorchSharp.torch;

namespace LossLandscape.Parameters;

/// <summary>
/// Holds a copy of a module's full state (parameters, buffers such as BatchNorm running statistics, and the
/// train/eval flags of every submodule). <see cref="Dispose"/> writes it back exactly, so a probe that moves the model,
/// or that throws half-way, leaves the model as it found it.
/// </summary>
public sealed class ModelStateScope : IDisposable
{
    private readonly nn.Module _module;
    private readonly List<(Tensor Live, Tensor Saved)> _state = new();
    private readonly List<(nn.Module Module, bool Training)> _modes = new();
    private bool _disposed;

    /// <summary>Snapshots <paramref name="module"/>.</summary>
    public ModelStateScope(nn.Module module)
    {
        _module = module ?? throw new ArgumentNullException(nameof(module));
        using var _ = no_grad();
        foreach (var (_, p) in module.named_parameters())
            _state.Add((p, p.detach().clone().DetachFromDisposeScope()));
        foreach (var (_, b) in module.named_buffers())
            _state.Add((b, b.detach().clone().DetachFromDisposeScope()));
        _modes.Add((module, module.training));
        foreach (var (_, m) in module.named_modules())
            _modes.Add((m, m.training));
    }

    /// <summary>Restores the snapshot now (the scope stays usable until disposed).</summary>
    public void Restore()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var _ = no_grad();
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

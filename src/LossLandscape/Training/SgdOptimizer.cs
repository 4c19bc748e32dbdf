using LossLandscape.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLandscape.Training;

/// <summary>
/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay: TorchSharp's
/// <c>torch.optim.SGD</c> (PyTorch's semantics) over a module's trainable parameters, with the learning rate set per step
/// and the momentum buffers saved and loaded by parameter name, so that a resumed run continues bit for bit.
/// </summary>
/// <remarks>
/// For each parameter p with gradient g, learning rate lr, momentum mu, dampening tau and weight decay lambda:
/// d = g + lambda p (L2 added to the gradient); with mu != 0: b = d on the first step, else b = mu b + (1 - tau) d,
/// and then d = d + mu b (Nesterov) or d = b; finally p = p - lr d. With mu = 0 this is plain SGD, p = p - lr (g + lambda p).
/// </remarks>
public sealed class SgdOptimizer : IDisposable
{
    private readonly (string Name, Parameter P)[] _parameters;
    private readonly SGD _sgd;

    /// <summary>Creates the optimizer over the trainable parameters of <paramref name="module"/> (those with <c>requires_grad</c>).</summary>
    /// <exception cref="LossLandscapeException">Invalid hyper-parameters (see <see cref="Validate"/>).</exception>
    public SgdOptimizer(nn.Module module, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
    {
        ArgumentNullException.ThrowIfNull(module);
        Validate(momentum, dampening, nesterov, weightDecay);
        _parameters = module.named_parameters().Where(np => np.parameter.requires_grad).Select(np => (np.name, np.parameter)).ToArray();
        _sgd = torch.optim.SGD(_parameters.Select(p => p.P), 0.0, momentum, dampening, weightDecay, nesterov);
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
    }

    /// <summary>mu.</summary>
    public double Momentum { get; }

    /// <summary>tau.</summary>
    public double Dampening { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>lambda.</summary>
    public double WeightDecay { get; }

    /// <summary>Checks the hyper-parameters as PyTorch does.</summary>
    /// <exception cref="LossLandscapeException">A negative value, or Nesterov without momentum or with dampening.</exception>
    public static void Validate(double momentum, double dampening, bool nesterov, double weightDecay)
    {
        if (!(momentum >= 0) || double.IsInfinity(momentum)) throw new LossLandscapeException($"Momentum {momentum} is not valid: give a number >= 0 (0.9 is common).");
        if (!(dampening >= 0) || double.IsInfinity(dampening)) throw new LossLandscapeException($"Dampening {dampening} is not valid: give a number >= 0.");
        if (!(weightDecay >= 0) || double.IsInfinity(weightDecay)) throw new LossLandscapeException($"Weight decay {weightDecay} is not valid: give a number >= 0 (5e-4 is common).");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new LossLandscapeException("Nesterov momentum needs momentum > 0 and dampening 0.");
    }

    /// <summary>Applies one update with learning rate <paramref name="learningRate"/> from the parameters' current gradients (parameters without a gradient are skipped).</summary>
    public void Step(double learningRate)
    {
        foreach (var group in _sgd.ParamGroups) group.LearningRate = learningRate;
        _sgd.step();
    }

    /// <summary>The momentum buffers by parameter name (empty before the first step or without momentum); the tensors are the live buffers.</summary>
    public IReadOnlyDictionary<string, Tensor> Buffers
    {
        get
        {
            var states = States();
            var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int i = 0; i < _parameters.Length; i++)
                if (states[i].momentum_buffer is { } b) d[_parameters[i].Name] = b;
            return d;
        }
    }

    /// <summary>Writes the momentum buffers to a safetensors file (keys = parameter names).</summary>
    public void Save(string path) => Safetensors.Save(path, Buffers);

    /// <summary>Replaces the momentum buffers with those in <paramref name="path"/>; parameters absent from the file get no buffer.</summary>
    /// <exception cref="LossLandscapeException">A buffer's name or shape does not match a parameter.</exception>
    public void Load(string path)
    {
        var loaded = Safetensors.Load(path);
        try
        {
            var names = _parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var unknown = loaded.Keys.Where(k => !names.Contains(k)).ToList();
            if (unknown.Count > 0)
                throw new LossLandscapeException($"Optimizer state '{path}' has buffers for parameters the model lacks: {string.Join(", ", unknown)}.");
            foreach (var (name, p) in _parameters)
                if (loaded.TryGetValue(name, out var t) && !t.shape.SequenceEqual(p.shape))
                    throw new LossLandscapeException($"Optimizer state '{path}': buffer '{name}' has shape [{string.Join(", ", t.shape)}], the parameter [{string.Join(", ", p.shape)}].");
            var states = States();
            for (int i = 0; i < _parameters.Length; i++)
            {
                states[i].momentum_buffer?.Dispose();
                states[i].momentum_buffer = loaded.TryGetValue(_parameters[i].Name, out var t)
                    ? t.to(_parameters[i].P.dtype, _parameters[i].P.device).clone().DetachFromDisposeScope()
                    : null;
            }
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    /// <summary>Frees the momentum buffers.</summary>
    public void Dispose() => _sgd.Dispose();

    /// <summary>The optimizer's per-parameter states, in the order of the parameters (the live objects).</summary>
    private SGD.State[] States()
    {
        var states = _sgd.state_dict().State.Cast<SGD.State>().ToArray();
        if (states.Length != _parameters.Length)
            throw new InvalidOperationException($"torch.optim.SGD holds {states.Length} parameter states for {_parameters.Length} parameters.");
        return states;
    }
}

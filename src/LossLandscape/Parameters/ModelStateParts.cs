
namespace LossLandscape.Parameters;

/// <summary>The parts of a module's state that a <see cref="ModelStateScope"/> keeps.</summary>
[Flags]
public enum ModelStateParts
{
    /// <summary>The train/eval flag of the module and of every submodule.</summary>
    Modes = 1,

    /// <summary>The buffers (BatchNorm running statistics and batch counters).</summary>
    Buffers = 2,

    /// <summary>The parameters.</summary>
    Parameters = 4,

    /// <summary>Everything.</summary>
    All = Modes | Buffers | Parameters,
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using LossLandscape.IO;

namespace LossLandscape.Training;

/// <summary>Why a run stopped.</summary>
public enum StopReason
{
    /// <summary>All updates were done.</summary>
    Completed,
    /// <summary>Cancellation was requested; a checkpoint was written at the step reached.</summary>
    Cancelled,
    /// <summary>The loss became NaN or Inf; no update was applied from it and no checkpoint was written after the last good one.</summary>
    Diverged,
}

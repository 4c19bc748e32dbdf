using System.Text.Json.Nodes;

namespace LossLandscape.Training;

/// <summary>The trainer state stored in a checkpoint's <c>state.json</c>.</summary>
/// <param name="Step">Updates done.</param>
/// <param name="Epoch">Epoch index of the batch cursor.</param>
/// <param name="Position">Examples of that epoch's permutation already used.</param>
/// <param name="Seconds">Training seconds so far.</param>
/// <param name="Options">The JSON description of the run's options (<see cref="TrainingOptions.ToJson"/>).</param>
/// <param name="History">The history up to <paramref name="Step"/>.</param>
public sealed record TrainerState(long Step, long Epoch, long Position, double Seconds, JsonObject Options, IReadOnlyList<TrainingRecord> History);

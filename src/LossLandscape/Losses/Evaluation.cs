using LossLandscape.Data;
using static TorchSharp.torch;

namespace LossLandscape.Losses;

/// <summary>Evaluates models on whole data sets in chunks, so memory is bounded by the chunk, not the data set.</summary>
public static class Evaluation
{
    /// <summary>
    /// Computes the mean loss and the accuracy of <paramref name="model"/> over <paramref name="data"/> in chunks of
    /// <paramref name="chunkSize"/>, under <c>no_grad</c>, in the model's current train/eval mode (callers choose;
    /// evaluation normally runs in eval mode). Per-chunk sums are accumulated in float64, so the result does not
    /// depend on the chunk size beyond rounding.
    /// </summary>
    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, LossFunction loss, Dataset data, long chunkSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (chunkSize < 1) throw new LossLandscapeException($"Chunk size {chunkSize} is not valid: give at least 1.");
        return Evaluate(model, loss, BatchSource.FromDataset(data, chunkSize));
    }

    /// <summary>The mean loss and the accuracy (0 for regression targets) of <paramref name="model"/> over the batches of <paramref name="data"/>, under <c>no_grad</c>, in the model's current mode.</summary>
    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, LossFunction loss, BatchSource data)
    {
        var (l, accuracy) = new Objective(model, loss, data).ValueAndAccuracy();
        return new EvaluationResult(l, accuracy, data.Count);
    }
}

// The README's usage example, compiled and run by ReadmeExampleTests. Keep the two in sync (the test checks it).
using LossLandscape.Checkpoints;
using LossLandscape.Models;
using LossLandscape.Parameters;
using LossLandscape.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Tests;

internal static class ReadmeExample
{
    public static double Run(string folder)
    {
        // README-BEGIN
        var runtime = new RuntimeOptions(Device: "cpu", Seed: 1, DType: "float64").Apply();
        using var model = ModelSpec.Parse("mlp:784-500-300-10").Create();
        model.to(runtime.DType).to(runtime.Device);

        var space = new ParameterSpace(model);              // theta as one flat vector
        using var theta = space.Get();
        using var direction = space.Randn();
        direction.div_(ParameterSpace.Norm(direction));     // a unit direction

        double movedBy;
        using (space.Preserve())                            // puts the weights back afterwards
        {
            space.SetCombination(theta, (0.5, direction));  // theta + 0.5 d, computed from theta directly
            using var moved = space.Get();
            movedBy = ParameterSpace.Norm(moved.sub(theta));
        }
        Checkpoint.Save(model, Path.Combine(folder, "mlp.safetensors"));   // PyTorch-compatible names
        // README-END
        return movedBy;
    }
}

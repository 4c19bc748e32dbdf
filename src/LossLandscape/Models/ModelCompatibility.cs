using LossLandscape.Data;
using LossLandscape.Losses;
using LossLandscape.Parameters;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLandscape.Models;

/// <summary>
/// Finds, before any tensor operation, the mistakes that would otherwise surface deep inside libtorch (where some,
/// inside <c>matmul</c> or <c>autograd.grad</c>, abort the process instead of throwing): inputs of the wrong size,
/// channel count or image size, more classes than outputs, labels out of range or not int64, a loss that needs more
/// outputs, dtype or device differences. Each error names the model's side, the data's side and what to change.
/// </summary>
/// <remarks>
/// The check reads the layers: it is exact for the models of this library (<see cref="Mlp"/>,
/// <see cref="MeanFieldNet"/>, <see cref="CifarResNet"/>, <see cref="AlexNetC1"/>) and conservative for other
/// modules (it reports only what certainly cannot work). The probes, the curvature operators and the trainer call it
/// on their data.
/// <para>
/// Measured with TorchSharp 0.107.0 on the CPU: a Linear layer fed the wrong input size or dtype throws
/// <c>ExternalException</c> ("mat1 and mat2 shapes cannot be multiplied"), a Conv2d fed the wrong channel count throws
/// <c>ArgumentException</c>, cross-entropy with a label out of range throws <c>ExternalException</c>; a mismatched
/// <c>matmul</c> aborts the process. None of these messages names the model or the data, so the check comes first.
/// </para>
/// </remarks>
public static class ModelCompatibility
{
    /// <summary>Reads what <paramref name="model"/> expects and produces (see <see cref="ModelSignature"/>).</summary>
    public static ModelSignature Describe(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string first = "", last = "";
        long? inFeatures = null, inChannels = null, outputs = null;
        foreach (var (name, m) in model.named_modules())
        {
            if (first.Length == 0 && m is Linear l0)
            {
                first = name;
                inFeatures = l0.weight!.shape[1];
            }
            else if (first.Length == 0 && m is Conv2d c0)
            {
                first = name;
                inChannels = c0.in_channels;
            }
            if (m is Linear l)
            {
                last = name;
                outputs = l.weight!.shape[0];
            }
        }
        var p = model.parameters().FirstOrDefault();
        long[]? image = model is AlexNetC1 a ? new[] { a.InputShape[1], a.InputShape[2] } : null;
        return new ModelSignature(first, inFeatures, model is Mlp or MeanFieldNet, inChannels, image, last, outputs,
            p?.dtype, p?.device.ToString());
    }

    /// <summary>
    /// Checks that <paramref name="model"/> takes examples of shape <paramref name="exampleShape"/> (without the
    /// leading P) and can express <paramref name="classes"/> classes, and that <paramref name="loss"/> (when given)
    /// can be computed from its outputs.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="dataName">The data's name, for the message.</param>
    /// <param name="exampleShape">Shape of one example.</param>
    /// <param name="classes">Number of classes of the data.</param>
    /// <param name="loss">The loss, or null to skip the loss check.</param>
    /// <exception cref="ModelDataMismatchException">They do not fit; the message names both sides and the fix.</exception>
    public static void Check(nn.Module model, string dataName, IReadOnlyList<long> exampleShape, int classes, LossFunction? loss = null)
    {
        CheckInput(model, dataName, exampleShape);
        var sig = Describe(model);
        string who = ModelName(model);
        CheckOutputs(sig, who, dataName, classes, loss);
    }

    /// <summary>
    /// Checks only that <paramref name="model"/> takes examples of shape <paramref name="exampleShape"/> (input size,
    /// image rank, channels, image size), for data whose class count is not known (any batch source).
    /// </summary>
    /// <exception cref="ModelDataMismatchException">The examples do not fit the model's first layer.</exception>
    public static void CheckInput(nn.Module model, string dataName, IReadOnlyList<long> exampleShape)
    {
        ArgumentNullException.ThrowIfNull(exampleShape);
        var sig = Describe(model);
        string shape = string.Join("x", exampleShape);
        long size = exampleShape.Aggregate(1L, (x, y) => x * y);
        string who = ModelName(model);
        if (sig.InputFeatures is long inF)
        {
            bool fits = sig.Flattens ? size == inF : size == inF || (exampleShape.Count > 0 && exampleShape[^1] == inF);
            if (!fits)
                throw new ModelDataMismatchException(ModelDataMismatch.InputSize,
                    $"The model ({who}) takes inputs of {inF} values (its first layer '{sig.FirstLayer}' is Linear({inF}, ...)), but the examples of '{dataName}' have shape {shape} ({size} values): build the model for {size} inputs or give data with {inF} values per example.");
        }
        else if (sig.InputChannels is long inC)
        {
            if (exampleShape.Count != 3)
                throw new ModelDataMismatchException(ModelDataMismatch.InputRank,
                    $"The model ({who}) is convolutional (its first layer '{sig.FirstLayer}' is Conv2d with {inC} input channels) and takes images C x H x W, but the examples of '{dataName}' have shape {shape}: give image data or use a model for flat inputs (an MLP).");
            if (exampleShape[0] != inC)
                throw new ModelDataMismatchException(ModelDataMismatch.InputChannels,
                    $"The model ({who}) takes images with {inC} channel(s) (its first layer '{sig.FirstLayer}' is Conv2d({inC}, ...)), but the examples of '{dataName}' have shape {shape} ({exampleShape[0]} channel(s)): build the model for {exampleShape[0]} input channel(s) or give data with {inC}.");
            if (sig.ImageSize is long[] hw && (exampleShape[1] != hw[0] || exampleShape[2] != hw[1]))
                throw new ModelDataMismatchException(ModelDataMismatch.ImageSize,
                    $"The model ({who}) was built for images of {hw[0]}x{hw[1]} pixels, but the examples of '{dataName}' have shape {shape}: build the model for the input shape {shape} or give data of {exampleShape[0]}x{hw[0]}x{hw[1]}.");
        }
    }

    private static void CheckOutputs(ModelSignature sig, string who, string dataName, int classes, LossFunction? loss)
    {
        if (sig.Outputs is long k)
        {
            if (k == 1 && classes > 2)
                throw new ModelDataMismatchException(ModelDataMismatch.Classes,
                    $"The model ({who}) has one output (binary labels 0 and 1; its last layer '{sig.OutputLayer}' is Linear(..., 1)), but '{dataName}' has {classes} classes: build the model with {classes} outputs or give binary data.");
            if (k > 1 && classes > k)
                throw new ModelDataMismatchException(ModelDataMismatch.Classes,
                    $"The model ({who}) has {k} outputs (its last layer '{sig.OutputLayer}' is Linear(..., {k})), but '{dataName}' has {classes} classes: build the model with {classes} outputs or give data with at most {k} classes.");
            if (k == 1 && loss is not null && loss is not SquaredErrorLoss)
                throw new ModelDataMismatchException(ModelDataMismatch.Loss,
                    $"The loss '{loss.Name}' needs one output per class, but the model ({who}) has one output: use the squared error (mse, targets +-1) or build the model with {Math.Max(2, classes)} outputs.");
        }
    }

    /// <summary>
    /// Checks <paramref name="model"/> against the data set <paramref name="data"/>: its example shape and class count
    /// (<see cref="Check(nn.Module, string, IReadOnlyList{long}, int, LossFunction?)"/>), the labels' dtype and range,
    /// and that inputs and parameters share dtype and device.
    /// </summary>
    /// <exception cref="ModelDataMismatchException">They do not fit; the message names both sides and the fix.</exception>
    public static void Check(nn.Module model, Dataset data, LossFunction? loss = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Check(model, data.Name, data.ExampleShape, data.NumClasses, loss);
        CheckLabels(model, data.Name, data.Labels);
        var sig = Describe(model);
        if (sig.DType is ScalarType dt && data.Inputs.dtype != dt)
            throw new ModelDataMismatchException(ModelDataMismatch.DType,
                $"The examples of '{data.Name}' are {data.Inputs.dtype}, the model's parameters are {dt}: convert the data or the model to one dtype.");
        if (sig.Device is string dev && data.Device.ToString() != dev)
            throw new ModelDataMismatchException(ModelDataMismatch.Device,
                $"The examples of '{data.Name}' live on {data.Device}, the model's parameters on {dev}: move both to one device.");
    }

    /// <summary>
    /// Checks <paramref name="model"/> against any batch source <paramref name="data"/> (which may hold regression
    /// targets): inputs and parameters share dtype and device, the input size fits the model, the model's output on one
    /// example suits <paramref name="loss"/> and the targets, and int64 labels lie in the outputs' range (read over every batch).
    /// </summary>
    /// <exception cref="LossLandscapeException">They do not fit; the message names both sides and the fix.</exception>
    public static void Check(nn.Module<Tensor, Tensor> model, BatchSource data, LossFunction loss)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(loss);
        var sig = Describe(model);
        var (dtype, device) = data.First((x, _) => (x.dtype, x.device.ToString()));
        if (sig.DType is ScalarType dt && dtype != dt)
            throw new ModelDataMismatchException(ModelDataMismatch.DType,
                $"Data '{data.Name}' holds {dtype} inputs, the model's parameters are {dt}; convert one of them so both match.");
        if (sig.Device is string dev && device != dev)
            throw new ModelDataMismatchException(ModelDataMismatch.Device,
                $"Data '{data.Name}' lives on {device}, the model on {dev}; move one of them.");
        CheckInput(model, data.Name, data.First((x, _) => x.shape[1..]));
        using var mode = ModelStateScope.EnterMode(model, training: false);
        using var _ = no_grad();
        var (outputShape, targetType, targetShape) = data.First((x, y) => (model.call(x.narrow(0, 0, 1)).shape, y.dtype, y.shape));
        loss.CheckTargets(outputShape, targetType, targetShape);
        if (targetType != ScalarType.Int64) return;
        long min = long.MaxValue, max = long.MinValue;
        data.ForEach((_, y) =>
        {
            min = Math.Min(min, y.min().item<long>());
            max = Math.Max(max, y.max().item<long>());
        });
        long classes = outputShape[1];
        long allowed = classes == 1 ? 2 : classes;
        if (min < 0 || max >= allowed)
            throw new ModelDataMismatchException(ModelDataMismatch.LabelRange,
                $"Labels of '{data.Name}' run from {min} to {max}, but the model has {classes} output(s) (labels must lie in [0, {allowed})); build the model for the data's classes.");
    }

    /// <summary>Checks that <paramref name="labels"/> are int64 class indices the model's outputs can express.</summary>
    /// <exception cref="ModelDataMismatchException">They are not int64, or one is negative or at least the number of outputs (2 for one output).</exception>
    public static void CheckLabels(nn.Module model, string dataName, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.dtype != ScalarType.Int64)
            throw new ModelDataMismatchException(ModelDataMismatch.LabelDType,
                $"The labels of '{dataName}' are {labels.dtype}; the losses take int64 class indices: store the labels as int64.");
        if (labels.numel() == 0) return;
        var sig = Describe(model);
        if (sig.Outputs is not long k) return;
        long range = k == 1 ? 2 : k;
        long lo, hi;
        using (var mn = labels.min()) lo = mn.item<long>();
        using (var mx = labels.max()) hi = mx.item<long>();
        if (lo < 0 || hi >= range)
            throw new ModelDataMismatchException(ModelDataMismatch.LabelRange,
                $"'{dataName}' has the label {(lo < 0 ? lo : hi)}, but the model ({ModelName(model)}) has {k} output(s) and so takes labels 0 to {range - 1}: build the model with {Math.Max(hi + 1, 2)} outputs or give labels in [0, {range}).");
    }

    private static string ModelName(nn.Module model) => model switch
    {
        Mlp m => $"MLP {string.Join("-", m.Widths)}",
        _ => model.GetName(),
    };
}

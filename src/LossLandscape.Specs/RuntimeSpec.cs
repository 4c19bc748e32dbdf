using LossLandscape.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLandscape.Specs;

/// <summary>The front ends' device and dtype words (<c>auto</c>, <c>cpu</c>, <c>cuda:N</c>; <c>float32</c>, <c>float64</c>).</summary>
public static class RuntimeSpec
{
    /// <summary>The device specifications <see cref="ResolveDevice"/> accepts.</summary>
    public const string DeviceSyntax = "auto (CUDA when available, else CPU), cpu, cuda or cuda:N";

    /// <summary>The dtype names <see cref="ParseDType"/> accepts.</summary>
    public const string DTypeSyntax = "float32 (default) or float64";

    /// <summary>
    /// Resolves <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> to a device. <c>auto</c> picks CUDA when available.
    /// </summary>
    /// <exception cref="LossLandscapeException">The spec is malformed, or CUDA was asked for and is not available.</exception>
    public static Device ResolveDevice(string? spec)
    {
        var s = (spec ?? "auto").Trim().ToLowerInvariant();
        if (s is "" or "auto") return TorchRuntime.CudaAvailable ? CUDA : CPU;
        if (s == "cpu") return CPU;
        if (s == "cuda" || s.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (s.Length > 4 && (!int.TryParse(s.AsSpan(5), out index) || index < 0))
                throw new LossLandscapeException($"Device '{spec}' is not valid: use {DeviceSyntax}.");
            if (!TorchRuntime.CudaAvailable)
                throw new LossLandscapeException(
                    $"Device '{spec}' was asked for, but CUDA is not available in this process (TorchSharp-cpu backend or no GPU). " +
                    "Use the device cpu, or build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU.");
            var count = cuda.device_count();
            if (index >= count)
                throw new LossLandscapeException($"Device '{spec}' was asked for, but only {count} CUDA device(s) exist (cuda:0 to cuda:{count - 1}).");
            return new Device(DeviceType.CUDA, index);
        }
        throw new LossLandscapeException($"Device '{spec}' is not valid: use {DeviceSyntax}.");
    }

    /// <summary>Parses <c>float32</c> / <c>float64</c> (also <c>f32</c>, <c>f64</c>, <c>float</c>, <c>double</c>).</summary>
    /// <exception cref="LossLandscapeException">Any other name.</exception>
    public static ScalarType ParseDType(string? name) => (name ?? "float32").Trim().ToLowerInvariant() switch
    {
        "" or "float32" or "f32" or "float" or "single" => ScalarType.Float32,
        "float64" or "f64" or "double" => ScalarType.Float64,
        _ => throw new LossLandscapeException($"Dtype '{name}' is not supported: use {DTypeSyntax}."),
    };

    /// <summary>The canonical name of a floating dtype (<c>float32</c>, <c>float64</c>, ...).</summary>
    public static string DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        _ => dtype.ToString().ToLowerInvariant(),
    };

}

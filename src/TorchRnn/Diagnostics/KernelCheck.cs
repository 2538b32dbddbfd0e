using System;
using System.Collections.Generic;

using TorchRnn.Engines;
namespace TorchRnn.Diagnostics;

/// <summary>
/// TorchRnn's check of the vendor kernels it calls. Vendor libraries (oneDNN, MKL) pick their code by CPU, and some
/// are wrong on some CPUs: oneDNN 3.7.1's LSTM inference kernel, which LibTorch 2.10 runs for float32 LSTMs on the CPU
/// under <c>no_grad</c>, is off by 0.03 to 0.6 for many hidden sizes on AMD Zen 5. So the first call of each
/// configuration that a vendor kernel computes is also computed by TorchRnn's managed engine in float64; a kernel
/// that disagrees is reported once (through <see cref="Warnings"/>) and that call and every later one of the
/// configuration return the managed engine's result instead. Later calls of a configuration whose kernel was right
/// cost one lookup.
/// </summary>
/// <example>
/// <code>
/// var lstm = nn.LSTM(200, 200, 2);
/// using (torch.no_grad()) lstm.call(torch.randn(35, 10, 200));
/// foreach (var verdict in KernelCheck.Verdicts) Console.WriteLine(verdict);
/// </code>
/// </example>
public static class KernelCheck
{
    /// <summary>
    /// Whether vendor kernels are checked (the default). Set it to <see langword="false"/>, or set the environment
    /// variable <c>TORCHRNN_KERNEL_CHECK=0</c> before the process starts, to trust them unchecked: then every call runs
    /// the kernel <c>EngineChoice</c> picks, right or wrong, as TorchSharp's own modules do.
    /// </summary>
    /// <value><see langword="true"/> unless turned off.</value>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("TORCHRNN_KERNEL_CHECK") != "0";

    /// <summary>The verdicts this process has reached so far, one per kernel and configuration checked.</summary>
    /// <value>A snapshot; empty until a vendor kernel has run.</value>
    public static IReadOnlyList<KernelVerdict> Verdicts => KernelGuard.Shared.Verdicts;

    /// <summary>Forgets every verdict, so that the next call of each configuration is checked again.</summary>
    public static void Clear() => KernelGuard.Shared.Clear();
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace TorchRnn.Diagnostics;

/// <summary>What <see cref="SelfCheck.Run"/> found: the machine, LibTorch's build, and each kernel's verdict.</summary>
public sealed class SelfCheckReport
{
    internal SelfCheckReport(string cpu, string? libTorchBuild, IReadOnlyList<KernelVerdict> verdicts)
    {
        Cpu = cpu;
        LibTorchBuild = libTorchBuild;
        Verdicts = verdicts;
    }

    /// <summary>The CPU: model name, family and model, and the vector extensions vendor kernels choose by.</summary>
    /// <value>For example <c>AMD EPYC 9R45, family 26 model 2, avx2 avx512f avx512_bf16 ...</c>.</value>
    public string Cpu { get; }

    /// <summary>
    /// LibTorch's <c>at::show_config()</c>: its compiler, MKL's and oneDNN's versions, the CPU capability it uses; null
    /// where it cannot be read (it is read on Linux x64).
    /// </summary>
    /// <value>Several lines of text, or null.</value>
    public string? LibTorchBuild { get; }

    /// <summary>One verdict per kernel, size and gradient mode checked.</summary>
    /// <value>In the order checked.</value>
    public IReadOnlyList<KernelVerdict> Verdicts { get; }

    /// <summary>Whether every kernel checked was right on this machine.</summary>
    /// <value><see langword="false"/> if any kernel was wrong: TorchRnn routes around it, TorchSharp's own modules do not.</value>
    public bool AllRight => Verdicts.All(v => v.Right);

    /// <summary>The report as text: the machine, LibTorch's build, then a markdown table of the verdicts.</summary>
    /// <returns>What to paste into a bug report.</returns>
    public override string ToString()
    {
        var s = new StringBuilder()
            .AppendLine("TorchRnn kernel self-check")
            .AppendLine($"CPU: {Cpu}")
            .AppendLine($"OS: {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; .NET {Environment.Version}")
            .AppendLine($"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}");
        if (LibTorchBuild is not null)
        {
            s.AppendLine("LibTorch build (at::show_config):");
            foreach (var line in LibTorchBuild.Split('\n', StringSplitOptions.RemoveEmptyEntries)) s.AppendLine("  " + line.Trim());
        }
        var wrong = Verdicts.Count(v => !v.Right);
        s.AppendLine()
            .AppendLine($"{Verdicts.Count} checks, {wrong} wrong{(wrong > 0 ? " (TorchRnn routes those calls to its own engine)" : "")}")
            .AppendLine()
            .AppendLine("| verdict | kernel | configuration | largest difference |")
            .AppendLine("|---|---|---|---:|");
        foreach (var v in Verdicts)
            s.AppendLine($"| {(v.Right ? "right" : "**wrong**")} | {v.Kernel} | {v.Configuration} | {v.LargestDifference:G3} |");
        return s.ToString();
    }
}

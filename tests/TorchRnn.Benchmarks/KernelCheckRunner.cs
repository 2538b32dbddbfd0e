using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TorchRnn.Engines;
using TorchRnn.Diagnostics;
using TorchSharp;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>--kernel-check</c>: what the kernel check costs. (1) On calls whose kernel was found right, blocks of calls
/// with the check on and off in alternation, on the same module: the ratio is the check's cost per call. (2) The first
/// call of a configuration (a fresh verdict: the kernel's run plus the float64 reference) against a later call. (3)
/// Where this CPU's kernel is wrong, the call TorchRnn makes instead (its managed engine) against the wrong kernel: what
/// being right costs here.
/// </summary>
public static class KernelCheckRunner
{
    private sealed record Case(string Name, string Mode, long Hidden, long Layers, long Length, long Batch, bool Train);

    private static readonly Case[] Cases =
    [
        new("tutorial", "RNN_TANH", 6, 2, 1, 3, false), new("tutorial", "LSTM", 6, 2, 1, 3, false), new("tutorial", "GRU", 6, 2, 1, 3, false),
        new("tutorial", "LSTM", 6, 2, 1, 3, true),
        new("medium", "RNN_TANH", 128, 2, 50, 32, false), new("medium", "LSTM", 128, 2, 50, 32, false), new("medium", "GRU", 128, 2, 50, 32, false),
        new("medium", "LSTM", 128, 2, 50, 32, true), new("medium", "GRU", 128, 2, 50, 32, true),
        new("word LM eval", "LSTM", 200, 2, 35, 10, false), new("one step", "LSTM", 256, 2, 1, 1, false),
        new("seq 5", "LSTM", 6, 2, 5, 3, false),
    ];

    public static int Run(IReadOnlyList<string> args)
    {
        var rounds = 15;
        var blockSeconds = 0.1;
        var outDir = "BenchmarkDotNet.Artifacts/kernel-check";
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--block-ms": blockSeconds = double.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture) / 1000; break;
                case "--out": outDir = Program.Value(args, ref i); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}' for --kernel-check.");
            }
        }
        var machine = Machine.Describe();
        var cpu = global::TorchRnn.Diagnostics.Machine.Cpu;
        var report = new StringBuilder()
            .AppendLine("## The kernel check's cost")
            .AppendLine()
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; CPU: {machine.Cpu} ({cpu}), {machine.Cores}; {machine.Os}; {machine.DotNet}")
            .AppendLine($"- TorchSharp {machine.TorchSharp} on LibTorch {machine.LibTorch}; float32; load average at start {machine.LoadAtStart}")
            .AppendLine($"- {rounds} rounds; each round times a block (about {blockSeconds * 1000:F0} ms) of calls with the check on and a block with it off, in alternating order, on the same module. Ratios are medians over rounds of on / off, with the interquartile range.")
            .AppendLine("- Modules have input size = hidden size and the engine TorchRnn's rule picks; \"train\" is forward + backward.")
            .AppendLine();
        foreach (var threads in Selection.Threads)
        {
            torch.set_num_threads(threads);
            report.AppendLine($"### {threads} thread{(threads == 1 ? "" : "s")}").AppendLine()
                .AppendLine("| case | module | (L, N) | pass | kernel's verdict here | first call | later call | first / later | check on | check off | on / off | IQR |")
                .AppendLine("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---|");
            foreach (var c in Cases) report.AppendLine(Row(c, threads, rounds, blockSeconds));
            report.AppendLine();
        }
        report.AppendLine("Where the kernel's verdict is right, \"check on\" runs the same kernel as \"check off\" after one dictionary lookup: on / off is the check's cost per call. Where it is wrong, \"check on\" is TorchRnn's managed engine (the right result) and \"check off\" the wrong kernel: on / off is what being right costs on this CPU.");
        return ReportFile.Write(outDir, "kernel-check.md", report);
    }

    private static string Row(Case c, int threads, int rounds, double blockSeconds)
    {
        torch.manual_seed(0);
        using var module = nn.RNNBase(c.Mode, c.Hidden, c.Hidden, c.Layers);
        module.Guard = new KernelGuard { Warn = false };
        using var x = torch.randn(c.Length, c.Batch, c.Hidden).requires_grad_(c.Train);
        void Call()
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = c.Train ? null : torch.no_grad();
            var (output, _) = module.call(x);
            if (c.Train) output.sum().backward();
        }

        // The first call of a configuration, each time with no verdict yet, against a later one.
        var firsts = new List<double>();
        var laters = new List<double>();
        for (var trial = 0; trial < 5; trial++)
        {
            module.Guard.Clear();
            firsts.Add(Stats.Time(Call, 1));
            laters.Add(Stats.Time(Call, 1));
        }
        var verdict = module.Guard.Verdicts.Count == 0 ? "(no vendor kernel)" : module.Guard.Verdicts.All(v => v.Right) ? "right" : "**wrong**";

        var calls = 1;
        while (Stats.Time(Call, calls) < blockSeconds && calls < 1 << 16) calls *= 2;
        var on = new List<double>();
        var off = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            for (var k = 0; k < 2; k++)
            {
                var enabled = (k + r) % 2 == 0;
                KernelCheck.Enabled = enabled;
                (enabled ? on : off).Add(Stats.Time(Call, calls) / calls);
            }
        }
        KernelCheck.Enabled = true;
        var (q1, median, q3) = Stats.Quantiles(on.Zip(off, (a, b) => a / b));
        var first = Stats.Median(firsts);
        var later = Stats.Median(laters);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {c.Name} | {module} | ({c.Length}, {c.Batch}) | {(c.Train ? "train" : "no_grad")} | {verdict} | {Stats.Format(first)} | {Stats.Format(later)} | {first / later:F1} | " +
            $"{Stats.Format(Stats.Median(on))} | {Stats.Format(Stats.Median(off))} | {median:F3} | {q1:F3}–{q3:F3} |");
    }

}

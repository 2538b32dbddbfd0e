using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TorchRnn.Engines;
using TorchSharp;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>--large-pages [--rounds N] [--out DIR]</c>: the same module twice, with the same draws, its large weights on huge
/// pages (<see cref="LargePages"/>, what TorchRnn does on Linux) and on the allocator's small pages (placement off),
/// timed in alternating blocks in one process (<see cref="Stats.Paired"/>); one thread. The calls that read large
/// weights: a generation step at batch 1 and 8 (the fused engine), evaluation over a sequence, and training
/// (forward and backward, LibTorch's kernels).
/// </summary>
public static class LargePagesRunner
{
    private static readonly (string Name, string Mode, long Hidden, long Steps, long Batch, bool Train)[] Cases =
    [
        ("lstm-step-512", "LSTM", 512, 1, 1, false),
        ("lstm-step-512x8", "LSTM", 512, 1, 8, false),
        ("gru-step-512", "GRU", 512, 1, 1, false),
        ("gru-step-512x8", "GRU", 512, 1, 8, false),
        ("lstm-eval-512", "LSTM", 512, 35, 10, false),
        ("lstm-train-512", "LSTM", 512, 35, 10, true),
    ];

    private const long Layers = 2;

    public static int Run(IReadOnlyList<string> args)
    {
        var (rounds, outDir) = RoundsAndOut.Parse(args, "--large-pages", "BenchmarkDotNet.Artifacts/large-pages");
        if (!LargePages.Enabled)
        {
            Console.Error.WriteLine("This machine has no transparent huge pages (not Linux, or set to never): nothing to compare.");
            return 1;
        }

        var machine = Machine.Describe();
        torch.set_num_threads(1);
        var rows = new List<string>();
        foreach (var c in Cases)
        {
            var row = Measure(c, rounds);
            Console.WriteLine(row);
            rows.Add(row);
        }

        var report = new StringBuilder()
            .AppendLine("## Large weights on huge pages against small pages, in one process")
            .AppendLine()
            .AppendLine($"- Command: `dotnet run -c Release --project tests/TorchRnn.Benchmarks -- --large-pages {string.Join(" ", args)}`")
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; CPU: {machine.Cpu}, {machine.Cores}; {machine.Os}; {machine.DotNet}")
            .AppendLine($"- TorchRnn on TorchSharp {machine.TorchSharp} / LibTorch {machine.LibTorch}; one thread (torch.set_num_threads(1))")
            .AppendLine($"- Load average at start {machine.LoadAtStart}, at end {Machine.LoadAverage()}")
            .AppendLine($"- Each case: nn.RNNBase(mode, H, H, {Layers}) built twice after manual_seed(0), once as TorchRnn builds it (weights of 2 MiB or more " +
                "moved onto 2 MiB-aligned memory advised as transparent huge pages) and once with that placement off (LibTorch's allocator, 4 KiB pages); " +
                "the same input. Steps: x (1, N, H), the state fed back, no_grad (the fused engine). Evaluation: x (L, N, H) from zeros, no_grad. " +
                "Training: forward and backward of the output's sum, gradients zeroed each call (LibTorch's kernels). " +
                "On huge pages: how much the process's AnonHugePages (/proc/self/smaps_rollup) grew when the placed module was built.")
            .AppendLine($"- Timing: {rounds} rounds, each a block of each module (same calls per block, at least 20 ms, order alternating); per call: the median over rounds of a block's time / its calls. " +
                "Ratio: median over rounds of huge / small (below 1: huge pages faster); IQR: its interquartile range.")
            .AppendLine()
            .AppendLine("| case | weights | on huge pages | small pages per call | huge pages per call | huge/small (median) | IQR |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var row in rows) report.AppendLine(row);
        return ReportFile.Write(outDir, "large-pages.md", report);
    }

    /// <summary>The process's anonymous memory on transparent huge pages, in bytes.</summary>
    private static long AnonHugePages()
    {
        foreach (var line in System.IO.File.ReadLines("/proc/self/smaps_rollup"))
        {
            if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    private static string Measure((string Name, string Mode, long Hidden, long Steps, long Batch, bool Train) c, int rounds)
    {
        var enabled = LargePages.Enabled;
        IWorkloadRun Build(bool placed)
        {
            try
            {
                LargePages.Enabled = placed;
                torch.manual_seed(0);
                var module = nn.RNNBase(c.Mode, c.Hidden, c.Hidden, Layers);
                var x = torch.randn(c.Steps, c.Batch, c.Hidden);
                var placedWeights = module.parameters().Count(LargePages.Aligned);
                if (placed != placedWeights > 0)
                    throw new InvalidOperationException($"{c.Name}: {placedWeights} weights on huge pages with placement {(placed ? "on" : "off")}.");
                return c.Steps == 1 ? new StepRun(module, x) : new DenseRun(module, x, c.Train);
            }
            finally
            {
                LargePages.Enabled = enabled;
            }
        }

        using var small = Build(placed: false);
        // The blocks of the case before, freed with its modules, leave first.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = AnonHugePages();
        using var huge = Build(placed: true);
        var hugeBytes = AnonHugePages() - before;
        var (calls, smallTimes, hugeTimes, ratios) = Stats.Paired(small.Call, huge.Call, rounds);
        var weightBytes = 4 * Layers * (c.Mode == "LSTM" ? 4 : 3) * c.Hidden * 2 * c.Hidden;
        var what = c.Steps == 1
            ? $"{c.Name}: {c.Mode}({c.Hidden}, {c.Hidden}, {Layers}) step, x (1, {c.Batch}, {c.Hidden})"
            : $"{c.Name}: {c.Mode}({c.Hidden}, {c.Hidden}, {Layers}) {(c.Train ? "forward + backward" : "evaluation")}, x ({c.Steps}, {c.Batch}, {c.Hidden})";
        return string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {weightBytes >> 20} MiB | {hugeBytes >> 20} MiB | {Stats.Format(Stats.Median(smallTimes) / calls)} | {Stats.Format(Stats.Median(hugeTimes) / calls)} | " +
            $"{Stats.Quantile(ratios, 0.5):F3} | {Stats.Quantile(ratios, 0.25):F3} to {Stats.Quantile(ratios, 0.75):F3} |");
    }
}

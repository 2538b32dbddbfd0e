using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using TorchRnn.Engines;
using TorchSharp;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>--weight-copies [--rounds N] [--out DIR]</c>: one module's step with the fused engine's weight copies
/// (<see cref="WeightCopies"/>: packed at batch 1, column panels at batch 4 to 16) and without them (the row-major
/// products), timed in alternating blocks in one process (<see cref="Stats.Paired"/>); one thread. The same module and
/// state for both: only <see cref="WeightCopies.Enabled"/> changes between blocks, and the copies stay made.
/// </summary>
public static class WeightCopiesRunner
{
    private static readonly (string Mode, long Hidden, long Batch)[] Cases =
    [
        ("LSTM", 256, 1), ("LSTM", 256, 4), ("LSTM", 256, 8), ("LSTM", 512, 1), ("LSTM", 512, 4), ("LSTM", 512, 8),
        ("GRU", 256, 1), ("GRU", 256, 4), ("GRU", 256, 8), ("GRU", 512, 1), ("GRU", 512, 4), ("GRU", 512, 8),
    ];

    private const long Layers = 2;

    public static int Run(IReadOnlyList<string> args)
    {
        var (rounds, outDir) = RoundsAndOut.Parse(args, "--weight-copies", "BenchmarkDotNet.Artifacts/weight-copies");
        if (!WeightCopies.Enabled || !RowProducts.Packs(16, 16, 16))
        {
            Console.Error.WriteLine("This machine makes no weight copies (no AVX-512, or LibTorch's versions unreadable): nothing to compare.");
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
            .AppendLine("## A step with the fused engine's weight copies against without, in one process")
            .AppendLine()
            .AppendLine($"- Command: `dotnet run -c Release --project tests/TorchRnn.Benchmarks -- --weight-copies {string.Join(" ", args)}`")
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; CPU: {machine.Cpu}, {machine.Cores}; {machine.Os}; {machine.DotNet}")
            .AppendLine($"- TorchRnn on TorchSharp {machine.TorchSharp} / LibTorch {machine.LibTorch}; one thread (torch.set_num_threads(1))")
            .AppendLine($"- Load average at start {machine.LoadAtStart}, at end {Machine.LoadAverage()}")
            .AppendLine($"- Each case: nn.RNNBase(mode, H, H, {Layers}) after manual_seed(0), x = randn(1, N, H), the state fed back from call to call, no_grad " +
                "(pytorch_bench.py's StepRun); the copies made by the first calls and kept; blocks alternate WeightCopies.Enabled (the row-major products when off).")
            .AppendLine($"- Timing: {rounds} rounds, each a block of each setting (same calls per block, at least 20 ms, order alternating); per call: the median over rounds of a block's time / its calls. " +
                "Ratio: median over rounds of with / without (below 1: the copies faster); IQR: its interquartile range.")
            .AppendLine()
            .AppendLine("| step | copy | without copies per call | with copies per call | with/without (median) | IQR |")
            .AppendLine("|---|---|---:|---:|---:|---|");
        foreach (var row in rows) report.AppendLine(row);
        return ReportFile.Write(outDir, "weight-copies.md", report);
    }

    private static string Measure((string Mode, long Hidden, long Batch) c, int rounds)
    {
        torch.manual_seed(0);
        var module = nn.RNNBase(c.Mode, c.Hidden, c.Hidden, Layers);
        using var step = new StepRun(module, torch.randn(1, c.Batch, c.Hidden));
        var enabled = WeightCopies.Enabled;
        try
        {
            for (var i = 0; i < 3; i++) step.Call();
            var (packed, transposed) = module.FusedEngine!.Copies;
            var copy = packed > 0 ? "packed" : transposed > 0 ? "column panels" : throw new InvalidOperationException($"{c.Mode} {c.Hidden} x {c.Batch}: no copy was made.");
            var (calls, without, with, ratios) = Stats.Paired(() =>
            {
                WeightCopies.Enabled = false;
                step.Call();
            }, () =>
            {
                WeightCopies.Enabled = true;
                step.Call();
            }, rounds);
            return string.Create(CultureInfo.InvariantCulture,
                $"| {c.Mode}({c.Hidden}, {c.Hidden}, {Layers}), x (1, {c.Batch}, {c.Hidden}) | {copy} | {Stats.Format(Stats.Median(without) / calls)} | " +
                $"{Stats.Format(Stats.Median(with) / calls)} | {Stats.Quantile(ratios, 0.5):F3} | {Stats.Quantile(ratios, 0.25):F3} to {Stats.Quantile(ratios, 0.75):F3} |");
        }
        finally
        {
            WeightCopies.Enabled = enabled;
        }
    }
}

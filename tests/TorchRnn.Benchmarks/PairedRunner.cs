using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>--paired</c>: TorchRnn against TorchSharp timed in alternation, block by block, so that a change in the machine's
/// load hits both sides alike. Each round times one block of TorchSharp calls and one of TorchRnn calls (their order
/// alternating), and the result is the median of the rounds' time ratios with its interquartile range. This resolves
/// a wrapper's cost of 1% where separate BenchmarkDotNet runs of each side, minutes apart on a shared machine, cannot.
/// </summary>
public static class PairedRunner
{
    /// <summary>Runs the selected modules (<c>--modules RNN,LSTM,GRU</c>; not LSTM-proj, whose two sides compute different things) and sizes.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        var rounds = 41;
        IReadOnlyList<string> modules = [Modules.Rnn, Modules.Lstm, Modules.Gru];
        var outDir = "BenchmarkDotNet.Artifacts/paired";
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--out": outDir = Program.Value(args, ref i); break;
                case "--modules": modules = Program.Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}' for --paired.");
            }
        }
        var machine = Machine.Describe();
        var rows = new List<string>();
        foreach (var size in Selection.Sizes)
        foreach (var threads in Selection.Threads)
        foreach (var bench in new SequenceBenchmarks[] { new RnnBenchmarks(), new LstmBenchmarks(), new GruBenchmarks() })
        {
            if (!modules.Contains(bench.Module)) continue;
            bench.Size = size;
            bench.Threads = threads;
            bench.Setup();
            try
            {
                rows.Add(Row(bench, size, threads, "forward", bench.Forward_TorchSharp, bench.Forward_TorchRnn, rounds));
                rows.Add(Row(bench, size, threads, "forward+backward", bench.ForwardBackward_TorchSharp, bench.ForwardBackward_TorchRnn, rounds));
            }
            finally
            {
                bench.Cleanup();
            }
        }

        var report = new StringBuilder()
            .AppendLine("## TorchRnn against TorchSharp, paired")
            .AppendLine()
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; CPU: {machine.Cpu}, {machine.Cores}; {machine.Os}; {machine.DotNet}")
            .AppendLine($"- TorchSharp {machine.TorchSharp} on LibTorch {machine.LibTorch}; load average at start {machine.LoadAtStart}, at end {Machine.LoadAverage()}")
            .AppendLine($"- {rounds} rounds per case; each round times a block of TorchSharp calls and a block of TorchRnn calls (order alternating, blocks of at least 20 ms), same weights and input.")
            .AppendLine("- Ratio: median over rounds of TorchRnn's time / TorchSharp's time in that round; IQR: its interquartile range.")
            .AppendLine()
            .AppendLine("| case | threads | pass | calls per block | TorchSharp per call | TorchRnn per call | TorchRnn/TorchSharp (median) | IQR |")
            .AppendLine("|---|---:|---|---:|---:|---:|---:|---|");
        foreach (var row in rows) report.AppendLine(row);
        return ReportFile.Write(outDir, "paired.md", report);
    }

    private static string Row(SequenceBenchmarks bench, string size, int threads, string pass, Action torchSharp, Action torchRnn, int rounds)
    {
        var (calls, sharpTimes, rnnTimes, ratios) = Stats.Paired(torchSharp, torchRnn, rounds);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"| {bench.Module} {size} | {threads} | {pass} | {calls} | {Stats.Format(Stats.Median(sharpTimes) / calls)} | {Stats.Format(Stats.Median(rnnTimes) / calls)} | " +
            $"{Stats.Quantile(ratios, 0.5):F3} | {Stats.Quantile(ratios, 0.25):F3} to {Stats.Quantile(ratios, 0.75):F3} |");
        Console.WriteLine(text);
        return text;
    }

}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using TorchRnn.Engines;
using TorchSharp;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>--kinds</c>: what the extension point costs. PyTorch's LSTM written as a user's kind (<see cref="UserLstm"/>, its
/// <c>project</c> and <c>step</c> on TorchSharp, each step in its own dispose scope) against the built-in LSTM on the
/// same managed engine (<see cref="Engine.Managed"/>, its tuned steps), same weights and input, timed in alternating
/// blocks as <c>--paired</c> does. Forward under no_grad, and forward + backward of the output's sum.
/// </summary>
public static class KindsRunner
{
    private static readonly (string Name, long Input, long Hidden, long Length, long Batch)[] Sizes =
    [
        ("small (word LM: 35 x 10, 200 -> 200)", 200, 200, 35, 10),
        ("medium (50 x 32, 64 -> 128)", 64, 128, 50, 32),
    ];

    public static int Run(IReadOnlyList<string> args)
    {
        var (rounds, outDir) = RoundsAndOut.Parse(args, "--kinds", "BenchmarkDotNet.Artifacts/kinds");
        var machine = Machine.Describe();
        var rows = new List<string>();
        foreach (var threads in Selection.Threads)
        {
            torch.set_num_threads(threads);
            foreach (var (name, input, hidden, length, batch) in Sizes)
            {
                torch.manual_seed(0);
                using var builtIn = nn.LSTM(input, hidden, 2);
                builtIn.ForcedEngine = Engine.Managed;
                using var user = nn.Recurrent(new UserLstm(), input, hidden, 2);
                using (torch.no_grad())
                {
                    foreach (var (n, p) in builtIn.named_parameters()) user.get_parameter(n)!.copy_(p);
                }
                using var x = torch.randn(length, batch, input);
                foreach (var train in new[] { false, true })
                    rows.Add(Row(name, threads, train, () => DenseRun.Once(builtIn, train, () => builtIn.call(x).output),
                        () => DenseRun.Once(user, train, () => user.call(x).output), rounds));
            }
        }

        var report = new StringBuilder()
            .AppendLine("## A user's kind against the built-in kind, same managed engine, paired")
            .AppendLine()
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; CPU: {machine.Cpu}, {machine.Cores}; {machine.Os}; {machine.DotNet}")
            .AppendLine($"- TorchSharp {machine.TorchSharp} on LibTorch {machine.LibTorch}; load average at start {machine.LoadAtStart}, at end {Machine.LoadAverage()}")
            .AppendLine($"- LSTM(H_in, H, 2) forced onto TorchRnn's managed engine against the same LSTM written as a user's kind (tests/TorchRnn.Benchmarks/UserLstm.cs), same weights and input; {rounds} rounds, each a block of each (order alternating, blocks of at least 20 ms).")
            .AppendLine("- Ratio: median over rounds of the user kind's time / the built-in's; IQR: its interquartile range. The goal: at most 1.3.")
            .AppendLine()
            .AppendLine("| size | threads | pass | calls per block | built-in per call | user kind per call | user/built-in (median) | IQR |")
            .AppendLine("|---|---:|---|---:|---:|---:|---:|---|");
        foreach (var row in rows) report.AppendLine(row);
        return ReportFile.Write(outDir, "kinds.md", report);
    }

    /// <summary>One table row: the baseline and the candidate timed in alternating blocks, the candidate/baseline ratio.</summary>
    internal static string Row(string size, int threads, bool train, Action builtIn, Action user, int rounds)
    {
        var (calls, builtInTimes, userTimes, ratios) = Stats.Paired(builtIn, user, rounds);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"| {size} | {threads} | {(train ? "forward+backward" : "forward")} | {calls} | {Stats.Format(Stats.Median(builtInTimes) / calls)} | " +
            $"{Stats.Format(Stats.Median(userTimes) / calls)} | {Stats.Quantile(ratios, 0.5):F3} | {Stats.Quantile(ratios, 0.25):F3} to {Stats.Quantile(ratios, 0.75):F3} |");
        Console.WriteLine(text);
        return text;
    }
}

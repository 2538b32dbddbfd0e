using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>--weight-drop</c>: what WeightDrop costs. AWD-LSTM's stack of single-layer LSTMs (H_in -> H, H -> H, H -> H_in,
/// as awd-lstm-lm's tied model builds it), each wrapped in <c>nn.WeightDrop(lstm, ["weight_hh_l0"], 0.5)</c>, against
/// the same stack of plain LSTMs with the same weights, timed in alternating blocks as <c>--kinds</c> does. Training:
/// forward in training mode (a new mask per layer per call) and backward of the output's sum; eval: forward under
/// no_grad (WeightDrop copies the raw weights in). The goal: at most 1.1 in training.
/// </summary>
public static class WeightDropRunner
{
    private static readonly (string Name, long Input, long Hidden, long Length, long Batch)[] Sizes =
    [
        ("awd_bench (100 -> 200 -> 200 -> 100, 35 x 20)", 100, 200, 35, 20),
        ("sample's AWD (200 -> 400 -> 400 -> 200, 35 x 20)", 200, 400, 35, 20),
    ];

    public static int Run(IReadOnlyList<string> args)
    {
        var (rounds, outDir) = RoundsAndOut.Parse(args, "--weight-drop", "BenchmarkDotNet.Artifacts/weight-drop");
        var machine = Machine.Describe();
        var rows = new List<string>();
        foreach (var threads in Selection.Threads)
        {
            torch.set_num_threads(threads);
            foreach (var (name, input, hidden, length, batch) in Sizes)
            {
                torch.manual_seed(0);
                long[] sizes = [input, hidden, hidden, input];
                var plain = Enumerable.Range(0, 3).Select(l => nn.LSTM(sizes[l], sizes[l + 1])).ToArray();
                var dropped = plain.Select(p => nn.WeightDrop(nn.LSTM(p.input_size, p.hidden_size), ["weight_hh_l0"], 0.5)).ToArray();
                using (torch.no_grad())
                {
                    for (var l = 0; l < 3; l++)
                    {
                        foreach (var (n, p) in plain[l].named_parameters())
                            (dropped[l].module.get_parameter(n) ?? dropped[l].module.get_parameter(n + "_raw")!).copy_(p);
                    }
                }
                using var x = torch.randn(length, batch, input);
                foreach (var train in new[] { true, false })
                {
                    foreach (var m in plain) m.train(train);
                    foreach (var m in dropped) m.train(train);
                    rows.Add(KindsRunner.Row(name, threads, train,
                        () => DenseRun.Once(train, () => Stack(x, l => plain[l].call), () => ZeroGrad(plain)),
                        () => DenseRun.Once(train, () => Stack(x, l => dropped[l].call), () => ZeroGrad(dropped)), rounds));
                }
                foreach (var m in dropped) m.Dispose();
                foreach (var m in plain) m.Dispose();
            }
        }

        var report = new StringBuilder()
            .AppendLine("## WeightDrop against the same LSTMs without it, paired")
            .AppendLine()
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; CPU: {machine.Cpu}, {machine.Cores}; {machine.Os}; {machine.DotNet}")
            .AppendLine($"- TorchSharp {machine.TorchSharp} on LibTorch {machine.LibTorch}; load average at start {machine.LoadAtStart}, at end {Machine.LoadAverage()}")
            .AppendLine($"- AWD-LSTM's stack of three single-layer LSTMs, each in nn.WeightDrop(lstm, [\"weight_hh_l0\"], 0.5), against the same LSTMs unwrapped, same weights and input; {rounds} rounds, each a block of each (order alternating, blocks of at least 20 ms).")
            .AppendLine("- forward+backward: training mode, backward of the output's sum; forward: eval mode under no_grad.")
            .AppendLine("- Ratio: median over rounds of WeightDrop's time / the plain stack's; IQR: its interquartile range. The goal: at most 1.1 in training.")
            .AppendLine()
            .AppendLine("| size | threads | pass | calls per block | plain per call | WeightDrop per call | WeightDrop/plain (median) | IQR |")
            .AppendLine("|---|---:|---|---:|---:|---:|---:|---|");
        foreach (var row in rows) report.AppendLine(row);
        return ReportFile.Write(outDir, "weight-drop.md", report);
    }

    private static void ZeroGrad(IEnumerable<torch.nn.Module> modules)
    {
        foreach (var m in modules) m.zero_grad();
    }

    /// <summary>The three layers in turn, each from a zero state.</summary>
    private static Tensor Stack(Tensor x, Func<int, Func<Tensor, HiddenState?, (Tensor output, HiddenState h_n)>> layer)
    {
        var h = x;
        for (var l = 0; l < 3; l++) h = layer(l)(h, null).output;
        return h;
    }
}

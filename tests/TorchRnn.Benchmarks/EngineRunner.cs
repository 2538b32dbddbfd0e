using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TorchRnn.Engines;
using TorchSharp;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>--engines</c>: every engine that can compute a call (<see cref="Engine"/>), forced in turn on the same module
/// and input, timed in alternating blocks; the evidence for the thresholds in the kinds' <c>ChooseEngine</c>. For each mode, size
/// and sequence length it reports each engine's time per call and its ratio to the native kernel's, forward (no
/// gradients) and forward + backward, and the same for a packed batch.
/// </summary>
public static class EngineRunner
{
    private static readonly Engine[] Engines = [Engine.Native, Engine.Cells, Engine.Managed];

    /// <summary>A dense LSTM under autograd also has the fused engine (<see cref="Engine.FusedTraining"/>).</summary>
    private static readonly Engine[] LstmTrainingEngines = [.. Engines, Engine.FusedTraining];

    /// <summary>(hidden size = input size, batch): the tutorial's, a medium batch, one-step generation, a wider batch.</summary>
    private static readonly (long Hidden, long Batch)[] DefaultSizes = [(6, 3), (128, 32), (256, 1), (512, 8)];

    public static int Run(IReadOnlyList<string> args)
    {
        var rounds = 7;
        var blockSeconds = 0.1;
        var outDir = "BenchmarkDotNet.Artifacts/engines";
        string[] modes = ["LSTM", "GRU", "RNN_TANH"];
        long[] lengths = [1, 2, 4, 16];
        var sizes = DefaultSizes;
        var withPacked = true;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--block-ms": blockSeconds = double.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture) / 1000; break;
                case "--out": outDir = Program.Value(args, ref i); break;
                case "--modes": modes = Program.Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--lengths": lengths = Program.Value(args, ref i).Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                // (H, N) pairs as HxN, e.g. 32x32,64x32; the packed rows are left out then.
                case "--shapes":
                    sizes = Program.Value(args, ref i).Split(',').Select(s => s.Split('x')).Select(p => (long.Parse(p[0], CultureInfo.InvariantCulture), long.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
                    withPacked = false;
                    break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}' for --engines.");
            }
        }
        var machine = Machine.Describe();
        var report = new StringBuilder()
            .AppendLine("## Engines side by side")
            .AppendLine()
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; CPU: {machine.Cpu}, {machine.Cores}; {machine.Os}; {machine.DotNet}")
            .AppendLine($"- TorchSharp {machine.TorchSharp} on LibTorch {machine.LibTorch}; float32; load average at start {machine.LoadAtStart}")
            .AppendLine($"- {rounds} rounds; each round times a block (about {blockSeconds * 1000:F0} ms) of each engine, in rotating order. Times are medians per call; ratios are medians over rounds of engine / Native.")
            .AppendLine("- Modules have 2 layers with input size = hidden size, state given; packed rows: one layer (64, 128), 32 sequences of 10 to 100 steps.")
            .AppendLine()
            .AppendLine("| mode | H | N | L | pass | threads | Native | Cells | Managed | FusedTraining | Cells/Native | Managed/Native | FusedTraining/Native |")
            .AppendLine("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var threads in Selection.Threads)
        {
            torch.set_num_threads(threads);
            foreach (var mode in modes)
            {
                foreach (var (hidden, batch) in sizes)
                {
                    foreach (var length in lengths)
                    {
                        foreach (var train in new[] { false, true })
                        {
                            torch.manual_seed(0);
                            using var module = nn.RNNBase(mode, hidden, hidden, 2);
                            using var x = torch.randn(length, batch, hidden).requires_grad_(train);
                            var h0 = State(mode, 2, batch, hidden);
                            var row = Compare(module, mode == "LSTM" && train ? LstmTrainingEngines : Engines, () =>
                            {
                                using var scope = torch.NewDisposeScope();
                                using var noGrad = train ? null : torch.no_grad();
                                var (output, _) = module.call(x, h0);
                                if (train) output.sum().backward();
                            }, rounds, blockSeconds);
                            h0.Dispose();
                            report.AppendLine(Line(mode, hidden.ToString(CultureInfo.InvariantCulture), batch.ToString(CultureInfo.InvariantCulture),
                                length.ToString(CultureInfo.InvariantCulture), train, threads, row));
                        }
                    }
                }
                foreach (var train in withPacked ? new[] { false, true } : [])
                {
                    torch.manual_seed(0);
                    using var module = nn.RNNBase(mode, 64, 128);
                    var sequences = Enumerable.Range(0, 32).Select(i => torch.randn(10 + i * 90 / 31, 64)).ToArray();
                    using var packed = nn.utils.rnn.pack_sequence(sequences, enforce_sorted: false);
                    foreach (var s in sequences) s.Dispose();
                    packed.data.requires_grad_(train);
                    var row = Compare(module, Engines, () =>
                    {
                        using var scope = torch.NewDisposeScope();
                        using var noGrad = train ? null : torch.no_grad();
                        var (output, _) = module.call(packed);
                        if (train) output.data.sum().backward();
                    }, rounds, blockSeconds);
                    report.AppendLine(Line(mode, "128", "32", "packed", train, threads, row));
                }
            }
        }
        return ReportFile.Write(outDir, "engines.md", report);
    }

    private static HiddenState State(string mode, long layers, long batch, long hidden) => mode == "LSTM"
        ? new HiddenState(torch.zeros(layers, batch, hidden), torch.zeros(layers, batch, hidden))
        : new HiddenState(torch.zeros(layers, batch, hidden));

    private static string Line(string mode, string hidden, string batch, string length, bool train, int threads, Dictionary<Engine, (double Time, double Ratio)> row)
        => string.Create(CultureInfo.InvariantCulture,
            $"| {mode} | {hidden} | {batch} | {length} | {(train ? "forward+backward" : "forward")} | {threads} | " +
            $"{Stats.Format(row[Engine.Native].Time)} | {Stats.Format(row[Engine.Cells].Time)} | {Stats.Format(row[Engine.Managed].Time)} | " +
            $"{(row.TryGetValue(Engine.FusedTraining, out var f) ? Stats.Format(f.Time) : "")} | " +
            $"{row[Engine.Cells].Ratio:F2} | {row[Engine.Managed].Ratio:F2} | " +
            $"{(row.TryGetValue(Engine.FusedTraining, out var r) ? r.Ratio.ToString("F2", CultureInfo.InvariantCulture) : "")} |");

    private static Dictionary<Engine, (double Time, double Ratio)> Compare(RNNBase module, Engine[] engines, Action call, int rounds, double blockSeconds)
    {
        foreach (var engine in engines)
        {
            module.ForcedEngine = engine;
            for (var i = 0; i < 2; i++) call();
        }
        module.ForcedEngine = Engine.Native;
        var calls = 1;
        while (Stats.Time(call, calls) < blockSeconds && calls < 1 << 16) calls *= 2;
        var times = engines.ToDictionary(e => e, _ => new List<double>());
        for (var r = 0; r < rounds; r++)
        {
            for (var k = 0; k < engines.Length; k++)
            {
                var engine = engines[(k + r) % engines.Length];
                module.ForcedEngine = engine;
                times[engine].Add(Stats.Time(call, calls) / calls);
            }
        }
        module.ForcedEngine = null;
        var native = times[Engine.Native];
        return engines.ToDictionary(e => e, e => (Stats.Median(times[e]), Stats.Median(times[e].Zip(native, (a, b) => a / b))));
    }

}

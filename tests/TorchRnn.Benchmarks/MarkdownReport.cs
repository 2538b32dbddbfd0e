using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TorchRnn.Benchmarks;

/// <summary>The report: a header describing the machine, the table of ratios, and GFLOP/s for the large size.</summary>
public static class MarkdownReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Write(Machine machine, string? pytorchVersion, IReadOnlyList<Measurement> measurements,
        IReadOnlyList<string> notes, TimeSpan total, TimeSpan dotnet)
    {
        var s = new StringBuilder();
        s.AppendLine("## TorchRnn benchmarks");
        s.AppendLine();
        s.AppendLine(Invariant, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        s.AppendLine(Invariant, $"- CPU: {machine.Cpu}, {machine.Cores}");
        s.AppendLine(Invariant, $"- OS: {machine.Os}; {machine.DotNet}");
        s.AppendLine(Invariant, $"- TorchSharp {machine.TorchSharp} on LibTorch {machine.LibTorch} (CPU build); PyTorch {pytorchVersion ?? "not measured"}");
        s.AppendLine(Invariant, $"- Load average (1, 5, 15 min) at start: {machine.LoadAtStart}; at end: {Machine.LoadAverage()}");
        s.AppendLine(Invariant, $"- Run time: {Minutes(total)} in all, of which BenchmarkDotNet {Minutes(dotnet)}");
        foreach (var note in notes) s.AppendLine(Invariant, $"- {note}");
        s.AppendLine();
        s.AppendLine("Times are medians per call. forward runs under `no_grad`; forward+backward zeroes the gradients, runs forward " +
            "and backpropagates the output's sum. Allocated is managed memory per call (BenchmarkDotNet's MemoryDiagnoser); tensors " +
            "are native and not counted. TorchRnn and TorchSharp run LibTorch " + machine.LibTorch + "; PyTorch runs its own " +
            "build, so TorchRnn/PyTorch compares two LibTorch builds as much as two languages. LSTM-proj: TorchRnn's LSTM with " +
            "proj_size = H/2 (managed recurrence) against TorchSharp's LSTM with the same H and no projection (the closest native " +
            "kernel, which does more arithmetic) and against PyTorch's LSTM with proj_size = H/2 (native in PyTorch).");
        s.AppendLine();
        s.AppendLine("| case | threads | pass | TorchSharp | TorchRnn | PyTorch | TorchRnn/TorchSharp | TorchRnn/PyTorch | allocated TorchRnn | allocated TorchSharp |");
        s.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        var sequences = measurements.Where(m => m.Size.Length > 0).ToList();
        foreach (var key in Keys(sequences))
        {
            var ts = Find(sequences, key, ReportDriver.TorchSharpSide);
            var tr = Find(sequences, key, ReportDriver.TorchRnnSide);
            var py = Find(sequences, key, ReportDriver.PyTorchSide);
            s.AppendLine(Invariant,
                $"| {key.Case} {key.Size} | {key.Threads} | {key.Pass} | {Time(ts)} | {Time(tr)} | {Time(py)} | {Ratio(tr, ts)} | {Ratio(tr, py)} | {Bytes(tr)} | {Bytes(ts)} |");
        }
        if (sequences.Any(m => m.Size == "large")) AppendGflops(s, measurements);
        return s.ToString();
    }

    private static void AppendGflops(StringBuilder s, IReadOnlyList<Measurement> measurements)
    {
        var large = BenchSize.Get("large");
        s.AppendLine();
        s.AppendLine(Invariant, $"### GFLOP/s, large size (L={large.L}, N={large.N}, H_in={large.InputSize}, H={large.HiddenSize}, {large.Layers} layers)");
        s.AppendLine();
        s.AppendLine("FLOPs count the matrix products only, 2·m·n·k each: per layer and step the input product (N × I)·(I × G·H) " +
            "and the recurrent product (N × H_out)·(H_out × G·H), with G = 1 (RNN), 3 (GRU), 4 (LSTM), I = H_in for layer 0 and " +
            "H_out above, H_out = H (H/2 for LSTM-proj, which adds the projection (N × H)·(H × H/2)). Forward+backward counts 3× " +
            "forward (each product's backward is two products of its size) less layer 0's input product (the input needs no " +
            "gradient). Gate nonlinearities, biases and the elementwise state update are not counted. LSTM-proj's TorchSharp " +
            "column ran a native LSTM without projection, whose own count (not this one) is larger.");
        s.AppendLine();
        s.AppendLine("| case | threads | pass | GFLOP per call | TorchSharp GFLOP/s | TorchRnn GFLOP/s | PyTorch GFLOP/s |");
        s.AppendLine("|---|---:|---|---:|---:|---:|---:|");
        var sequences = measurements.Where(m => m.Size == "large").ToList();
        foreach (var key in Keys(sequences))
        {
            var flops = key.Pass == SequenceBenchmarks.ForwardCategory ? Flops.Forward(key.Case, large) : Flops.ForwardBackward(key.Case, large);
            // LSTM-proj's native side is an LSTM without projection: rate it by its own count.
            var nativeFlops = key.Case == Modules.LstmProj
                ? (key.Pass == SequenceBenchmarks.ForwardCategory ? Flops.Forward(Modules.Lstm, large) : Flops.ForwardBackward(Modules.Lstm, large))
                : flops;
            s.AppendLine(Invariant,
                $"| {key.Case} large | {key.Threads} | {key.Pass} | {flops / 1e9:F1} | {Rate(nativeFlops, Find(sequences, key, ReportDriver.TorchSharpSide))} | " +
                $"{Rate(flops, Find(sequences, key, ReportDriver.TorchRnnSide))} | {Rate(flops, Find(sequences, key, ReportDriver.PyTorchSide))} |");
        }
        s.AppendLine();
        s.AppendLine("Plain `torch.mm` on float32, for the machine's matrix-product rate:");
        s.AppendLine();
        s.AppendLine("| product (m x k x n) | what | threads | GFLOP | TorchSharp GFLOP/s | PyTorch GFLOP/s |");
        s.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var (name, m, k, n, what) in Flops.MatMulShapes)
        {
            foreach (var threads in measurements.Where(x => x.Case == "mm " + name).Select(x => x.Threads).Distinct().Order())
            {
                var flops = Flops.MatMul(m, k, n);
                var ts = measurements.FirstOrDefault(x => x.Case == "mm " + name && x.Threads == threads && x.Side == ReportDriver.TorchSharpSide);
                var py = measurements.FirstOrDefault(x => x.Case == "mm " + name && x.Threads == threads && x.Side == ReportDriver.PyTorchSide);
                s.AppendLine(Invariant, $"| {name} | {what} | {threads} | {flops / 1e9:F3} | {Rate(flops, ts)} | {Rate(flops, py)} |");
            }
        }
    }

    private readonly record struct Key(string Case, string Size, int Threads, string Pass);

    /// <summary>The cases in report order: size (smallest first), module, threads, pass.</summary>
    private static IEnumerable<Key> Keys(IEnumerable<Measurement> measurements) =>
        measurements.Select(m => new Key(m.Case, m.Size, m.Threads, m.Pass)).Distinct()
            .OrderBy(k => BenchSize.All.ToList().FindIndex(s => s.Name == k.Size))
            .ThenBy(k => Modules.All.ToList().IndexOf(k.Case))
            .ThenBy(k => k.Threads)
            .ThenBy(k => k.Pass == SequenceBenchmarks.ForwardCategory ? 0 : 1);

    private static Measurement? Find(IEnumerable<Measurement> measurements, Key key, string side) =>
        measurements.FirstOrDefault(m => m.Case == key.Case && m.Size == key.Size && m.Threads == key.Threads && m.Pass == key.Pass && m.Side == side);

    private static string Time(Measurement? m)
    {
        if (m is null) return "";
        var ns = m.MedianNs;
        return ns switch
        {
            < 1e3 => string.Create(Invariant, $"{ns:F0} ns"),
            < 1e6 => string.Create(Invariant, $"{ns / 1e3:G3} µs"),
            < 1e9 => string.Create(Invariant, $"{ns / 1e6:G3} ms"),
            _ => string.Create(Invariant, $"{ns / 1e9:G3} s"),
        };
    }

    private static string Ratio(Measurement? a, Measurement? b) =>
        a is null || b is null ? "" : string.Create(Invariant, $"{a.MedianNs / b.MedianNs:F3}");

    private static string Bytes(Measurement? m) => m?.AllocatedBytes switch
    {
        null => "",
        var b when b < 10_000 => string.Create(Invariant, $"{b} B"),
        var b => string.Create(Invariant, $"{b / 1024.0:F1} KB"),
    };

    private static string Rate(double flops, Measurement? m) =>
        m is null ? "" : string.Create(Invariant, $"{flops / m.MedianNs:F1}");

    private static string Minutes(TimeSpan t) => string.Create(Invariant, $"{(int)t.TotalMinutes} min {t.Seconds} s");
}

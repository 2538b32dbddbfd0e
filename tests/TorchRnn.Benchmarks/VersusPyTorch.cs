using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>--versus-pytorch</c>: TorchRnn against PyTorch on the same machine, on <see cref="Workload.All"/>. PyTorch runs in
/// a second process (<c>pytorch_bench.py --serve</c>) that waits while this one works and works while this one waits:
/// each round times a block of TorchRnn calls and a block of PyTorch calls, in alternating order, so that a change in
/// the machine's load hits both sides alike. The result per workload is the median of the rounds' ratios of time per
/// call (TorchRnn / PyTorch) with its interquartile range, from wall-clock time and, beside it, from each side's
/// thread CPU time (the work alone, without waiting for a core; one-thread runs only).
/// </summary>
public static class VersusPyTorch
{
    public static int Run(IReadOnlyList<string> args)
    {
        var rounds = 15;
        var blockSeconds = 0.25;
        var python = "/usr/bin/python3";
        var script = "pytorch_bench.py";
        var outDir = "BenchmarkDotNet.Artifacts/versus-pytorch";
        IReadOnlyList<Workload> workloads = Workload.Builtin;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--block-ms": blockSeconds = double.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture) / 1000; break;
                case "--python": python = Program.Value(args, ref i); break;
                // custom_lstm_bench.py serves the LayerNormLSTM workloads (and, through pytorch_bench.py, the others).
                case "--script": script = Program.Value(args, ref i); break;
                case "--out": outDir = Program.Value(args, ref i); break;
                case "--workloads": workloads = Program.Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Workload.Get).ToArray(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}' for --versus-pytorch.");
            }
        }

        var machine = Machine.Describe();
        using var py = new PythonSide(python, Path.Combine(AppContext.BaseDirectory, script));
        var rows = new List<Row>();
        foreach (var threads in Selection.Threads)
        {
            torch.set_num_threads(threads);
            py.Send($"threads {threads}");
            foreach (var workload in workloads)
            {
                rows.Add(Measure(workload, threads, py, rounds, blockSeconds));
                Console.WriteLine(rows[^1].Markdown());
            }
        }

        var report = new StringBuilder()
            .AppendLine("## TorchRnn against PyTorch, alternating processes")
            .AppendLine()
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; CPU: {machine.Cpu}, {machine.Cores}; {machine.Os}; {machine.DotNet}")
            .AppendLine($"- TorchRnn on TorchSharp {machine.TorchSharp} / LibTorch {machine.LibTorch}; PyTorch {py.Version} (Python {py.PythonVersion}, {py.Blas})")
            .AppendLine($"- Load average at start {machine.LoadAtStart}, at end {Machine.LoadAverage()}")
            .AppendLine($"- Each side warmed up for {WarmUpSeconds:F0} s per workload, then {rounds} rounds; a round is a block of TorchRnn calls and a block of PyTorch calls (about {blockSeconds * 1000:F0} ms each, order alternating), in two processes of which one works at a time.")
            .AppendLine("- Ratio: median over rounds of TorchRnn's time per call / PyTorch's in that round (below 1: TorchRnn is faster); IQR: the ratios' interquartile range. Wall: elapsed time; CPU: each side's thread CPU time (one thread only).")
            .AppendLine()
            .AppendLine(Row.Header)
            .AppendLine(Row.Rule);
        foreach (var row in rows) report.AppendLine(row.Markdown());
        return ReportFile.Write(outDir, "versus-pytorch.md", report);
    }

    private static Row Measure(Workload workload, int threads, PythonSide py, int rounds, double blockSeconds)
    {
        using var run = workload.Create();
        py.Send($"setup {workload.Name}");
        // Warm up for a while, not a few calls: .NET's tiered JIT recompiles hot code after its first uses, and a
        // cold start made the first second of TorchRnn calls up to 1.6 times slower than the steady state.
        WarmUp(() => TimeCSharp(run, 1).Wall);
        WarmUp(() => py.Run(workload.Name, 1).Wall);

        // Calls per block, sized on each side to about blockSeconds.
        var csCalls = 1;
        while (TimeCSharp(run, csCalls).Wall < blockSeconds / 2 && csCalls < 1 << 20) csCalls *= 2;
        var pyCalls = 1;
        while (py.Run(workload.Name, pyCalls).Wall < blockSeconds / 2 && pyCalls < 1 << 20) pyCalls *= 2;

        var cs = new List<(double Wall, double Cpu)>();
        var pt = new List<(double Wall, double Cpu)>();
        for (var r = 0; r < rounds; r++)
        {
            if (r % 2 == 0)
            {
                cs.Add(TimeCSharp(run, csCalls));
                pt.Add(py.Run(workload.Name, pyCalls));
            }
            else
            {
                pt.Add(py.Run(workload.Name, pyCalls));
                cs.Add(TimeCSharp(run, csCalls));
            }
        }
        var wallRatios = cs.Zip(pt, (a, b) => a.Wall / csCalls / (b.Wall / pyCalls)).ToArray();
        var cpuRatios = cs.Zip(pt, (a, b) => a.Cpu / csCalls / (b.Cpu / pyCalls)).ToArray();
        return new Row(workload, threads, Stats.Median(cs.Select(c => c.Wall / csCalls)), Stats.Median(pt.Select(p => p.Wall / pyCalls)),
            Stats.Quantiles(wallRatios), threads == 1 ? Stats.Quantiles(cpuRatios) : null);
    }

    private static void WarmUp(Func<double> call)
    {
        var spent = 0.0;
        for (var calls = 0; spent < WarmUpSeconds || calls < 3; calls++) spent += call();
    }

    private const double WarmUpSeconds = 2.0;

    private static (double Wall, double Cpu) TimeCSharp(IWorkloadRun run, int calls)
    {
        var cpu = ThreadClock.Seconds();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++) run.Call();
        return (watch.Elapsed.TotalSeconds, ThreadClock.Seconds() - cpu);
    }

    private sealed record Row(Workload Workload, int Threads, double CSharpPerCall, double PyTorchPerCall,
        (double Q1, double Median, double Q3) Wall, (double Q1, double Median, double Q3)? Cpu)
    {
        public const string Header = "| workload | threads | TorchRnn per call | PyTorch per call | TorchRnn/PyTorch (wall) | IQR | TorchRnn/PyTorch (CPU) | IQR |";
        public const string Rule = "|---|---:|---:|---:|---:|---|---:|---|";

        public string Markdown()
        {
            var cpu = Cpu is { } c ? string.Create(CultureInfo.InvariantCulture, $"{c.Median:F2} | {c.Q1:F2} to {c.Q3:F2} |") : "| |";
            return string.Create(CultureInfo.InvariantCulture,
                $"| {Workload.Name}: {Workload.What} | {Threads} | {Stats.Format(CSharpPerCall)} | {Stats.Format(PyTorchPerCall)} | " +
                $"{Wall.Median:F2} | {Wall.Q1:F2} to {Wall.Q3:F2} | {cpu}");
        }
    }

    /// <summary>The PyTorch process: one command a line in, one JSON line out.</summary>
    private sealed class PythonSide : IDisposable
    {
        private readonly Process _process;

        public PythonSide(string python, string script)
        {
            var info = new ProcessStartInfo(python, [script, "--serve"])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            // OpenBLAS would start a thread per core before the script can set its count.
            info.Environment["OPENBLAS_NUM_THREADS"] = "1";
            _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {python}.");
            using var hello = Read();
            Version = hello.RootElement.GetProperty("pytorch").GetString() ?? "?";
            PythonVersion = hello.RootElement.GetProperty("python").GetString() ?? "?";
            Blas = hello.RootElement.GetProperty("blas").GetString() ?? "?";
        }

        public string Version { get; }

        public string PythonVersion { get; }

        public string Blas { get; }

        public void Send(string command)
        {
            _process.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
            using var answer = Read();
            if (answer.RootElement.TryGetProperty("error", out var error))
                throw new InvalidOperationException($"pytorch_bench.py: {error.GetString()}");
        }

        public (double Wall, double Cpu) Run(string workload, int calls)
        {
            _process.StandardInput.WriteLine($"run {workload} {calls}");
            _process.StandardInput.Flush();
            using var answer = Read();
            return (answer.RootElement.GetProperty("wall_s").GetDouble(), answer.RootElement.GetProperty("cpu_s").GetDouble());
        }

        private JsonDocument Read()
        {
            var line = _process.StandardOutput.ReadLine()
                ?? throw new InvalidOperationException("pytorch_bench.py --serve ended; is PyTorch installed for that Python?");
            return JsonDocument.Parse(line);
        }

        public void Dispose()
        {
            try
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Flush();
                _process.WaitForExit(10_000);
            }
            finally
            {
                _process.Dispose();
            }
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Running;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/TorchRnn.Benchmarks -- [BenchmarkDotNet options] [--sizes ...] [--threads ...]</c>
/// runs the benchmarks through BenchmarkDotNet's command line (always in this process, see <see cref="InProcessArgs"/>);
/// <c>-- --report [--job short] [--sizes ...] [--modules ...] [--threads ...] [--out DIR] [--no-python]</c> runs them
/// together with PyTorch and writes one markdown table (<see cref="ReportDriver"/>); <c>-- --paired [--sizes ...]
/// [--threads ...] [--rounds N] [--out DIR]</c> times TorchRnn and TorchSharp in alternation (<see cref="PairedRunner"/>);
/// <c>-- --versus-onnxruntime [--threads 1,2] [--cases lstm-step-256,...] [--rounds N] [--warm-up-ms MS] [--pause-ms MS] [--out DIR]</c>
/// times one generation step in TorchRnn and in ONNX Runtime in alternation, beside the time to read the step's
/// weights (<see cref="VersusOnnxRuntime"/>); <c>-- --large-pages [--rounds N] [--out DIR]</c> times modules whose large
/// weights are on huge pages against the same on small pages (<see cref="LargePagesRunner"/>); <c>-- --weight-copies
/// [--rounds N] [--out DIR]</c> times steps with the fused engine's weight copies against without (<see cref="WeightCopiesRunner"/>).
/// </summary>
public static class Program
{
    public static readonly Type[] BenchmarkTypes =
        [typeof(RnnBenchmarks), typeof(LstmBenchmarks), typeof(GruBenchmarks), typeof(LstmProjBenchmarks), typeof(MatMulBenchmarks)];

    public static int Main(string[] args)
    {
        try
        {
            if (args.Contains("--report")) return ReportDriver.Run(args.Where(a => a != "--report").ToArray());
            if (args.Contains("--paired")) return PairedRunner.Run(TakeSelection(args.Where(a => a != "--paired").ToArray()));
            if (args.Contains("--run-workload")) return RunWorkload(args);
            if (args.Contains("--engines")) return EngineRunner.Run(TakeSelection(args.Where(a => a != "--engines").ToArray()));
            if (args.Contains("--kernel-check")) return KernelCheckRunner.Run(TakeSelection(args.Where(a => a != "--kernel-check").ToArray()));
            if (args.Contains("--kinds")) return KindsRunner.Run(TakeSelection(args.Where(a => a != "--kinds").ToArray()));
            if (args.Contains("--weight-drop")) return WeightDropRunner.Run(TakeSelection(args.Where(a => a != "--weight-drop").ToArray()));
            if (args.Contains("--large-pages")) return LargePagesRunner.Run(args.Where(a => a != "--large-pages").ToArray());
            if (args.Contains("--weight-copies")) return WeightCopiesRunner.Run(args.Where(a => a != "--weight-copies").ToArray());
            if (args.Contains("--versus-pytorch")) return VersusPyTorch.Run(TakeSelection(args.Where(a => a != "--versus-pytorch").ToArray()));
            // Its own --threads: one thread unless asked (not Selection's default of one and all).
            if (args.Contains("--versus-onnxruntime")) return VersusOnnxRuntime.Run(args.Where(a => a != "--versus-onnxruntime").ToArray());
            var rest = TakeSelection(args);
            var summaries = BenchmarkSwitcher.FromTypes(BenchmarkTypes).Run(InProcessArgs(rest));
            return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    /// <summary>
    /// <c>--run-workload NAME SECONDS</c>: one workload of <see cref="Workload.All"/> on one thread, warmed up for two
    /// seconds and then called for SECONDS, for a profiler to sample (<c>perf record -g dotnet ...</c>); prints the
    /// time per call. <c>pytorch_bench.py --run NAME SECONDS</c> is its PyTorch side.
    /// </summary>
    private static int RunWorkload(string[] args)
    {
        var at = Array.IndexOf(args, "--run-workload");
        if (at + 2 >= args.Length) throw new ArgumentException("--run-workload needs a workload name and a number of seconds.");
        var workload = Workload.Get(args[at + 1]);
        var seconds = double.Parse(args[at + 2], System.Globalization.CultureInfo.InvariantCulture);
        TorchSharp.torch.set_num_threads(1);
        using var run = workload.Create();
        foreach (var (phase, length) in new[] { ("warm-up", 2.0), ("measured", seconds) })
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var calls = 0;
            for (; watch.Elapsed.TotalSeconds < length; calls++) run.Call();
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{workload.Name} {phase}: {calls} calls, {watch.Elapsed.TotalMilliseconds / calls:F3} ms per call"));
        }
        return 0;
    }

    /// <summary>Applies <c>--sizes</c> and <c>--threads</c> to <see cref="Selection"/> and returns the other arguments.</summary>
    public static List<string> TakeSelection(IReadOnlyList<string> args)
    {
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--sizes": Selection.Sizes = Selection.ParseSizes(Value(args, ref i)); break;
                case "--threads": Selection.Threads = Selection.ParseThreads(Value(args, ref i)); break;
                default: rest.Add(args[i]); break;
            }
        }
        return rest;
    }

    public static string Value(IReadOnlyList<string> args, ref int i) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value.");

    /// <summary>
    /// BenchmarkDotNet's arguments with <c>--inProcess</c> added: its default out-of-process toolchain builds a project
    /// of its own, which would miss the build's Linux loader fix (libLibTorchSharp.so then fails to load on GCC 12
    /// systems); and <c>--filter *</c> when no filter is given, instead of an interactive prompt.
    /// </summary>
    private static string[] InProcessArgs(List<string> args)
    {
        if (!args.Contains("--inProcess") && !args.Contains("-i")) args.Add("--inProcess");
        if (!args.Contains("--filter") && !args.Contains("-f") && !args.Contains("--list")) args.AddRange(["--filter", "*"]);
        return args.ToArray();
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using TorchRnn.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Benchmarks;

/// <summary>
/// <c>--versus-onnxruntime</c>: one generation step of a 2-layer module (pytorch_bench.py's <c>StepRun</c>: input
/// (1, N, H), the state fed back from call to call, no gradients) in TorchRnn against the same module and weights
/// exported by TorchRnn.Onnx and run by ONNX Runtime, in this process, timed in alternating blocks. Both are first
/// checked to compute the same state. Beside them, the floor: the time to read the step's weights once from the
/// cache level they fit in (<see cref="ReadFloor"/>), and each side's time as a multiple of it. A second table times
/// <see cref="OnnxStreamingSession"/> against the prebound call the first table uses.
/// </summary>
public static class VersusOnnxRuntime
{
    private static readonly (string Name, string Mode, long Hidden, long Batch)[] Cases =
    [
        ("lstm-step-256", "LSTM", 256, 1),
        ("lstm-step-256x8", "LSTM", 256, 8),
        ("lstm-step-512", "LSTM", 512, 1),
        ("lstm-step-512x8", "LSTM", 512, 8),
        ("gru-step-256", "GRU", 256, 1),
        ("gru-step-256x8", "GRU", 256, 8),
        ("gru-step-512", "GRU", 512, 1),
        ("gru-step-512x8", "GRU", 512, 8),
    ];

    private const long Layers = 2;

    /// <summary>Steps from zero states before the states are compared.</summary>
    private const int CheckSteps = 10;

    public static int Run(IReadOnlyList<string> args)
    {
        var rounds = 21;
        var warmUpSeconds = 1.0;
        // 20 ms was too short with two threads: TorchRnn's blocks then split between rounds near 0.8 and 1.3 of ONNX
        // Runtime's time (another pool still spinning), 100 ms gave tight ranges (2026-12-06, Zen 5).
        var pauseSeconds = 0.1;
        IReadOnlyList<int> threadCounts = [1];
        var cases = Cases;
        var outDir = "BenchmarkDotNet.Artifacts/versus-onnxruntime";
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--warm-up-ms": warmUpSeconds = double.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture) / 1000; break;
                case "--pause-ms": pauseSeconds = double.Parse(Program.Value(args, ref i), CultureInfo.InvariantCulture) / 1000; break;
                case "--threads": threadCounts = Selection.ParseThreads(Program.Value(args, ref i)); break;
                case "--cases": cases = ParseCases(Program.Value(args, ref i)); break;
                case "--out": outDir = Program.Value(args, ref i); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}' for --versus-onnxruntime.");
            }
        }

        var machine = Machine.Describe();
        var rows = new List<string>();
        var callPaths = new List<string>();
        foreach (var threads in threadCounts)
        {
            torch.set_num_threads(threads);
            using var options = new SessionOptions
            {
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            foreach (var c in cases)
            {
                var (row, callPath) = Measure(c, threads, options, rounds, warmUpSeconds, pauseSeconds);
                Console.WriteLine(row);
                rows.Add(row);
                callPaths.Add(callPath);
            }
        }

        var report = new StringBuilder()
            .AppendLine("## TorchRnn against ONNX Runtime, one generation step, in one process")
            .AppendLine()
            .AppendLine($"- Command: `dotnet run -c Release --project tests/TorchRnn.Benchmarks -- --versus-onnxruntime {string.Join(" ", args)}`")
            .AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; CPU: {machine.Cpu}, {machine.Cores}; {machine.Os}; {machine.DotNet}")
            .AppendLine($"- TorchRnn on TorchSharp {machine.TorchSharp} / LibTorch {machine.LibTorch}; ONNX Runtime {OrtEnv.Instance().GetVersionString()} (CPU execution provider), TorchRnn.Onnx opset {onnx.opset_version}")
            .AppendLine($"- Load average at start {machine.LoadAtStart}, at end {Machine.LoadAverage()}")
            .AppendLine("- The step: pytorch_bench.py's StepRun, nn.LSTM or nn.GRU(H, H, 2) after manual_seed(0), x = randn(1, N, H) fixed, the state fed back from call to call, no gradients. " +
                "TorchRnn: under no_grad, `(_, state) = m.call(x, state)` in a dispose scope, the previous state disposed " +
                "(by default at batch 1 the fused engine reads the weights from packed copies, made at the second call that finds them unchanged). " +
                "ONNX Runtime: the same module and weights exported by TorchRnn.Onnx (float32 without projections: one ONNX LSTM or GRU node per layer), " +
                "SessionOptions IntraOpNumThreads = threads, InterOpNumThreads = 1, sequential execution, ORT_ENABLE_ALL; called with everything prebound: " +
                "x, the output and two buffers per state in two IoBindings that swap the buffers, one RunWithBinding a step (the second table times OnnxStreamingSession.run against it).")
            .AppendLine("- Threads: torch.set_num_threads and ONNX Runtime's intra-op threads alike, each pool as it comes (LibTorch's OpenMP threads and ONNX Runtime's both spin a while after a call before they sleep).")
            .AppendLine($"- max |Δ|: the largest absolute difference between TorchRnn's state (h, and c for LSTM) and ONNX Runtime's after {CheckSteps} steps from zeros, both ONNX Runtime call paths.")
            .AppendLine($"- Timing: each side warmed up for {warmUpSeconds:0.##} s, then {rounds} rounds, each a block of each side (same calls per block, at least 20 ms of each, order alternating, a {pauseSeconds * 1000:0.##} ms pause before each block so that the other side's spinning threads have gone to sleep). " +
                "Per step: the median over rounds of a block's time / its calls. Ratio: median over rounds of TorchRnn's block time / ONNX Runtime's (below 1: TorchRnn is faster); IQR: its interquartile range.")
            .AppendLine("- Floor: the time to read the step's weights once (sum over layers of W_ih and W_hh, float32; biases and states left out) from the cache level they fit in, " +
                "as a step loop reads them call after call: a pinned float array of exactly those bytes (from a 2 MiB boundary on huge pages where TorchRnn places large weights, else 64-byte aligned), " +
                $"summed front to back over and over with {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "Vector512" : "Vector256")} loads into eight accumulators, " +
                $"with t threads each summing its own contiguous 1/t at the same time; the median over {rounds} blocks of at least 20 ms, after the rounds. Its GB/s is bytes / floor time.")
            .AppendLine()
            .AppendLine("| case | threads | TorchRnn per step | ORT per step | TorchRnn/ORT (median) | IQR | floor per step (GB/s) | TorchRnn/floor | ORT/floor | max \\|Δ\\| |")
            .AppendLine("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|");
        foreach (var row in rows) report.AppendLine(row);
        report
            .AppendLine()
            .AppendLine("ONNX Runtime's call paths, same rounds: TorchRnn.Onnx's OnnxStreamingSession.run (binds the inputs and states and lets ONNX Runtime allocate the output, every call) against the prebound RunWithBinding above.")
            .AppendLine()
            .AppendLine("| case | threads | OnnxStreamingSession.run per step | prebound per step | streaming/prebound (median) | IQR |")
            .AppendLine("|---|---:|---:|---:|---:|---|");
        foreach (var row in callPaths) report.AppendLine(row);
        return ReportFile.Write(outDir, "versus-onnxruntime.md", report);
    }

    private static (string Name, string Mode, long Hidden, long Batch)[] ParseCases(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => Array.Find(Cases, c => c.Name == name) is { Name: not null } found ? found : throw new ArgumentException(
                $"Unknown case '{name}'; expected one of {string.Join(", ", Cases.Select(c => c.Name))}."))
            .ToArray();

    /// <returns>The case's row of the main table and of the call paths' table.</returns>
    private static (string Row, string CallPath) Measure((string Name, string Mode, long Hidden, long Batch) c, int threads,
        SessionOptions options, int rounds, double warmUpSeconds, double pauseSeconds)
    {
        torch.manual_seed(0);
        var module = nn.RNNBase(c.Mode, c.Hidden, c.Hidden, Layers);
        var x = torch.randn(1, c.Batch, c.Hidden);
        // The step owns the module and the input from here.
        using var torchStep = new StepRun(module, x);
        var weightBytes = module.named_parameters()
            .Where(p => p.name.StartsWith("weight_ih", StringComparison.Ordinal) || p.name.StartsWith("weight_hh", StringComparison.Ordinal))
            .Sum(p => p.parameter.numel() * p.parameter.element_size());

        using var session = Export(module, x, options);
        long[] inputShape = [1, c.Batch, c.Hidden];
        var input = x.data<float>().ToArray();
        using var ortStep = new OrtStep(session, input, inputShape, [Layers, c.Batch, c.Hidden]);
        using var streaming = new StreamingStep(session, input, inputShape);

        for (var i = 0; i < CheckSteps; i++)
        {
            torchStep.Call();
            ortStep.Call();
            streaming.Call();
        }
        var state = torchStep.State!.Value;
        (string Input, Tensor? Value)[] states = [("h0", state.h), ("c0", state.c)];
        var delta = states.Where(s => s.Value is not null).Max(s =>
        {
            using var contiguous = s.Value!.contiguous();
            var expected = contiguous.data<float>().ToArray();
            return Math.Max(MaxAbsDifference(expected, ortStep.State(s.Input)), MaxAbsDifference(expected, streaming.State(s.Input)));
        });

        WarmUp(ortStep.Call, warmUpSeconds);
        WarmUp(torchStep.Call, warmUpSeconds);
        WarmUp(streaming.Call, warmUpSeconds);
        var (calls, ortTimes, torchTimes, ratios) = Stats.Paired(ortStep.Call, torchStep.Call, rounds, pauseSeconds);
        var (pathCalls, prebound, streamed, pathRatios) = Stats.Paired(ortStep.Call, streaming.Call, rounds, pauseSeconds);
        var floor = new ReadFloor(weightBytes).SecondsPerRead(threads, rounds);

        var ortPerStep = Stats.Median(ortTimes) / calls;
        var torchPerStep = Stats.Median(torchTimes) / calls;
        var what = string.Create(CultureInfo.InvariantCulture,
            $"{c.Name}: {c.Mode}({c.Hidden}, {c.Hidden}, {Layers}), x (1, {c.Batch}, {c.Hidden}), {weightBytes / (1024.0 * 1024.0):0.##} MiB of weights");
        var row = string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {threads} | {Stats.Format(torchPerStep)} | {Stats.Format(ortPerStep)} | {Stats.Quantile(ratios, 0.5):F3} | " +
            $"{Stats.Quantile(ratios, 0.25):F3} to {Stats.Quantile(ratios, 0.75):F3} | {Stats.Format(floor)} ({weightBytes / floor / 1e9:F0} GB/s) | " +
            $"{torchPerStep / floor:F1} | {ortPerStep / floor:F1} | {delta:0.0e+0} |");
        var callPath = string.Create(CultureInfo.InvariantCulture,
            $"| {c.Name} | {threads} | {Stats.Format(Stats.Median(streamed) / pathCalls)} | {Stats.Format(Stats.Median(prebound) / pathCalls)} | " +
            $"{Stats.Quantile(pathRatios, 0.5):F3} | {Stats.Quantile(pathRatios, 0.25):F3} to {Stats.Quantile(pathRatios, 0.75):F3} |");
        return (row, callPath);
    }

    /// <summary>The module exported by TorchRnn.Onnx (through a temporary file, deleted) and loaded in ONNX Runtime.</summary>
    private static InferenceSession Export(RNNBase module, Tensor x, SessionOptions options)
    {
        var path = Path.Combine(Path.GetTempPath(), $"torchrnn-step-{Guid.NewGuid():N}.onnx");
        try
        {
            onnx.export(module, x, path);
            return new InferenceSession(File.ReadAllBytes(path), options);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static float MaxAbsDifference(float[] expected, ReadOnlySpan<float> actual)
    {
        if (actual.Length != expected.Length)
            throw new InvalidOperationException($"ONNX Runtime's state has {actual.Length} values, TorchRnn's {expected.Length}.");
        var max = 0f;
        for (var i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return max;
    }

    private static void WarmUp(Action call, double seconds)
    {
        var watch = Stopwatch.StartNew();
        do call();
        while (watch.Elapsed.TotalSeconds < seconds);
    }
}

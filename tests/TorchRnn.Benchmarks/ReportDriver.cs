using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace TorchRnn.Benchmarks;

/// <summary>One timed case: a module (or a product's shape), size, threads, pass and implementation.</summary>
public sealed record Measurement(string Case, string Size, int Threads, string Pass, string Side, double MedianNs, double MeanNs, long? AllocatedBytes);

/// <summary>
/// <c>--report</c>: runs the selected BenchmarkDotNet benchmarks in this process, then <c>pytorch_bench.py</c> under
/// /usr/bin/python3 when it has torch, and writes one markdown table to standard output and <c>DIR/benchmarks.md</c>.
/// </summary>
public static class ReportDriver
{
    public const string TorchSharpSide = "TorchSharp";
    public const string TorchRnnSide = "TorchRnn";
    public const string PyTorchSide = "PyTorch";
    private const string Python = "/usr/bin/python3";

    public static int Run(string[] args)
    {
        var jobName = "default";
        var outDir = Path.Combine("BenchmarkDotNet.Artifacts", "report");
        var runPython = true;
        var rest = Program.TakeSelection(args);
        for (var i = 0; i < rest.Count; i++)
        {
            switch (rest[i])
            {
                case "--job": jobName = Program.Value(rest, ref i); break;
                case "--out": outDir = Program.Value(rest, ref i); break;
                case "--modules": Selection.ModuleNames = Selection.ParseModules(Program.Value(rest, ref i)); break;
                case "--no-python": runPython = false; break;
                default: throw new ArgumentException($"Unknown option '{rest[i]}'. --report takes --job short|default|dry, --sizes, --modules, --threads, --out DIR, --no-python.");
            }
        }
        outDir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(outDir);

        var started = Stopwatch.StartNew();
        var machine = Machine.Describe();
        var sizes = Selection.Sizes;
        var measurements = new List<Measurement>();
        var notes = new List<string>();

        // The large size runs alone with fewer calls under the short job (each call takes a second or more).
        var groups = new List<(string[] Sizes, Job Job, string Description)>();
        var smaller = sizes.Where(s => s != "large").ToArray();
        if (smaller.Length > 0) groups.Add((smaller, BaseJob(jobName), JobDescription(jobName)));
        if (sizes.Contains("large")) groups.Add((["large"], LargeJob(jobName), LargeJobDescription(jobName)));

        var failures = 0;
        foreach (var (groupSizes, job, description) in groups)
        {
            Selection.Sizes = groupSizes;
            var types = Program.BenchmarkTypes.Where(t => t != typeof(MatMulBenchmarks) && Selection.ModuleNames.Contains(ModuleOf(t))).ToList();
            if (groupSizes.Contains("large")) types.Add(typeof(MatMulBenchmarks));
            if (types.Count == 0) continue;
            notes.Add($"BenchmarkDotNet, {string.Join(" and ", groupSizes)}: {description}.");
            var config = ManualConfig.CreateEmpty()
                .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
                .AddDiagnoser(MemoryDiagnoser.Default)
                .AddColumnProvider(DefaultColumnProviders.Instance)
                .AddLogger(ConsoleLogger.Default)
                .AddExporter(MarkdownExporter.GitHub)
                .WithArtifactsPath(Path.Combine(outDir, "bdn"));
            foreach (var summary in BenchmarkRunner.Run(types.ToArray(), config))
            {
                foreach (var report in summary.Reports)
                {
                    if (!report.Success || report.ResultStatistics is null)
                    {
                        failures++;
                        continue;
                    }
                    measurements.Add(ToMeasurement(report));
                }
            }
        }
        Selection.Sizes = sizes;
        var dotnetTime = started.Elapsed;

        PyTorchRun? py = null;
        if (runPython) py = RunPyTorch(jobName, outDir, notes);
        else notes.Add("PyTorch: not run (--no-python); its columns are empty.");
        if (py is not null) measurements.AddRange(py.Measurements);

        var markdown = MarkdownReport.Write(machine, py?.Version, measurements, notes, started.Elapsed, dotnetTime);
        File.WriteAllText(Path.Combine(outDir, "benchmarks.md"), markdown);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {Path.Combine(outDir, "benchmarks.md")}.");
        if (failures > 0) Console.Error.WriteLine($"{failures} benchmark cases failed; see the log above.");
        return failures == 0 ? 0 : 1;
    }

    private static Job BaseJob(string name) => name switch
    {
        "short" => Job.ShortRun,
        "default" => Job.Default,
        "dry" => Job.Dry,
        _ => throw new ArgumentException($"--job must be short, default or dry, got '{name}'."),
    };

    private static string JobDescription(string name) => name switch
    {
        "short" => "short job (1 launch, 3 warm-up and 3 measured iterations, each of calls filling about 0.5 s)",
        "default" => "default job (warm-up and measured iterations until the statistics settle)",
        _ => "dry job (one call: a smoke test, not a measurement)",
    };

    /// <summary>Under the short job the large size makes one call per iteration, 1 warm-up and 3 measured iterations.</summary>
    private static Job LargeJob(string name) => name == "short"
        ? Job.ShortRun.WithWarmupCount(1).WithIterationCount(3).WithInvocationCount(1).WithUnrollFactor(1)
        : BaseJob(name);

    private static string LargeJobDescription(string name) => name == "short"
        ? "short job cut down: 1 warm-up and 3 measured iterations of one call each, no pilot stage"
        : JobDescription(name);

    private static string ModuleOf(Type type) =>
        ((SequenceBenchmarks)Activator.CreateInstance(type)!).Module;

    private static Measurement ToMeasurement(BenchmarkReport report)
    {
        var benchmark = report.BenchmarkCase;
        var method = benchmark.Descriptor.WorkloadMethod.Name;
        var threads = (int)benchmark.Parameters["Threads"];
        var stats = report.ResultStatistics!;
        var allocated = report.GcStats.GetBytesAllocatedPerOperation(benchmark);
        if (benchmark.Descriptor.Type == typeof(MatMulBenchmarks))
            return new Measurement("mm " + (string)benchmark.Parameters["Shape"], "", threads, "", TorchSharpSide, stats.Median, stats.Mean, allocated);
        var parts = method.Split('_');
        var pass = parts[0] == "Forward" ? SequenceBenchmarks.ForwardCategory : SequenceBenchmarks.ForwardBackwardCategory;
        return new Measurement(ModuleOf(benchmark.Descriptor.Type), (string)benchmark.Parameters["Size"], threads, pass, parts[1],
            stats.Median, stats.Mean, allocated);
    }

    private sealed record PyTorchRun(string Version, List<Measurement> Measurements);

    private static PyTorchRun? RunPyTorch(string jobName, string outDir, List<string> notes)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "pytorch_bench.py");
        if (!File.Exists(Python) || Exec(Python, ["-c", "import torch"], echo: false) != 0)
        {
            notes.Add($"PyTorch: not measured ({Python} with torch is not available here); its columns are empty.");
            return null;
        }
        var json = Path.Combine(outDir, "pytorch.json");
        List<string> args =
        [
            script, "--sizes", string.Join(",", Selection.Sizes), "--modules", string.Join(",", Selection.ModuleNames),
            "--threads", string.Join(",", Selection.Threads.Select(t => t.ToString(CultureInfo.InvariantCulture))), "--json", json,
        ];
        if (jobName != "default") args.Add("--quick");
        if (Selection.Sizes.Contains("large")) args.Add("--matmul");
        Console.WriteLine($"// PyTorch: {Python} {string.Join(" ", args)}");
        if (Exec(Python, args, echo: true) != 0 || !File.Exists(json))
        {
            notes.Add("PyTorch: pytorch_bench.py failed (see the log); its columns are empty.");
            return null;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        var measurements = new List<Measurement>();
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            measurements.Add(new Measurement(c.GetProperty("module").GetString()!, c.GetProperty("size").GetString()!,
                c.GetProperty("threads").GetInt32(), c.GetProperty("pass").GetString()!, PyTorchSide,
                c.GetProperty("median_s").GetDouble() * 1e9, c.GetProperty("mean_s").GetDouble() * 1e9, null));
        }
        foreach (var m in root.GetProperty("matmul").EnumerateArray())
        {
            measurements.Add(new Measurement("mm " + m.GetProperty("shape").GetString(), "", m.GetProperty("threads").GetInt32(), "",
                PyTorchSide, m.GetProperty("median_s").GetDouble() * 1e9, m.GetProperty("mean_s").GetDouble() * 1e9, null));
        }
        var timing = root.GetProperty("timing");
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"PyTorch {root.GetProperty("pytorch").GetString()} (Python {root.GetProperty("python").GetString()}, {root.GetProperty("blas").GetString()}): " +
            $"pytorch_bench.py, each call timed alone after {timing.GetProperty("warmup_s").GetDouble()} s of warm-up, " +
            $"at least {timing.GetProperty("min_reps").GetInt32()} calls and {timing.GetProperty("min_time_s").GetDouble()} s (at most {timing.GetProperty("max_reps").GetInt32()} calls)."));
        return new PyTorchRun(root.GetProperty("pytorch").GetString()!, measurements);
    }

    private static int Exec(string file, IEnumerable<string> args, bool echo)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = !echo, RedirectStandardError = !echo, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(info)!;
            if (!echo)
            {
                process.StandardOutput.ReadToEnd();
                process.StandardError.ReadToEnd();
            }
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}

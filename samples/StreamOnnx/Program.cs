// Streams a GRU one step at a time three ways and times each step: TorchRnn itself (the state carried in C#), ONNX
// Runtime fed by hand (h_n copied out and passed back as h0, as samples/DeployOnnxRuntime does), and
// OnnxStreamingSession (the state kept in ONNX Runtime's buffers, bound with OrtIoBinding, no copies). All three
// must give TorchRnn's whole-sequence output; the timings go to OUT/streaming.json with the CPU and the date.
//   dotnet run -c Release --project samples/StreamOnnx -- --out out
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using TorchRnn; // brings TorchRnn.nn, so nn.GRU(...) reads as in PyTorch
using TorchRnn.Onnx;
using TorchRnn.Samples;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

var seedOption = SampleCommandLine.Option("--seed", "The seed for torch.manual_seed.", 0L);
var stepsOption = SampleCommandLine.Option("--steps", "Time steps streamed per pass (three passes: one warms up).", 200).AtLeast(1);
var outOption = SampleCommandLine.Option("--out", "The folder for streaming.onnx and streaming.json.", "out");
var command = SampleCommandLine.Create("StreamOnnx", "A GRU streamed one step at a time: TorchRnn, ONNX Runtime by hand, OnnxStreamingSession.",
    seedOption, stepsOption, outOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;
var steps = parsed.GetValue(stepsOption);
var outDir = parsed.GetValue(outOption)!;
Directory.CreateDirectory(outDir);

// 1. A 2-layer GRU (64 features in, 128 hidden), seeded, in eval mode; one thread everywhere.
torch.manual_seed(parsed.GetValue(seedOption));
torch.set_num_threads(1);
const int InputSize = 64, HiddenSize = 128, Layers = 2;
var gru = nn.GRU(InputSize, HiddenSize, Layers);
gru.eval();

// 2. Export it as it is: inputs input (L, N, 64) and optional h0, outputs output and h_n.
var onnxPath = Path.Combine(outDir, "streaming.onnx");
onnx.export(gru, torch.randn(5, 1, InputSize), onnxPath);
using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
using var inference = new InferenceSession(onnxPath, options);
using var runOptions = new RunOptions();

// 3. For batch 1 and batch 32: stream the same sequence three ways, check each against the whole sequence, time each step.
const int Passes = 3; // the first warms up
var rows = new List<Dictionary<string, object>>();
var worst = 0.0;
Console.WriteLine($"per step, median of {(Passes - 1) * steps} (one thread):");
Console.WriteLine("batch  TorchRnn  ONNX Runtime by hand  OnnxStreamingSession  largest difference");
foreach (var batch in new[] { 1, 32 })
{
    using var scope = torch.NewDisposeScope();
    var sequence = torch.randn(steps, batch, InputSize);
    Tensor whole;
    using (torch.no_grad()) whole = gru.call(sequence).output; // (L, N, 128)
    var expected = whole.data<float>().ToArray();
    var chunks = Enumerable.Range(0, steps).Select(t => sequence[t].contiguous().data<float>().ToArray()).ToArray();
    long[] stepShape = [1, batch, InputSize];

    // TorchRnn, one step at a time, its state carried in C#.
    Tensor? torchState = null;
    var (torchTimes, torchOut) = Time(batch, (reset, t, into) =>
    {
        using var stepScope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        if (reset) { torchState?.Dispose(); torchState = null; }
        var (output, h_n) = gru.call(sequence[t..(t + 1)], torchState);
        torchState?.Dispose();
        torchState = h_n.MoveToOuterDisposeScope();
        output.data<float>().CopyTo(into);
    });
    torchState?.Dispose();

    // ONNX Runtime by hand: h_n copied out of the results and fed back as h0.
    OrtValue? handState = null;
    var (handTimes, handOut) = Time(batch, (reset, t, into) =>
    {
        if (reset) { handState?.Dispose(); handState = null; }
        using var x = OrtValue.CreateTensorValueFromMemory(chunks[t], stepShape);
        var feeds = new Dictionary<string, OrtValue> { ["input"] = x };
        if (handState is not null) feeds["h0"] = handState;
        using var results = inference.Run(runOptions, feeds, ["output", "h_n"]);
        results[0].GetTensorDataAsSpan<float>().CopyTo(into);
        var next = OrtValue.CreateTensorValueFromMemory(results[1].GetTensorDataAsSpan<float>().ToArray(), results[1].GetTensorTypeAndShape().Shape);
        handState?.Dispose();
        handState = next;
    });
    handState?.Dispose();

    // OnnxStreamingSession: the state stays in ONNX Runtime's buffers.
    using var stream = new OnnxStreamingSession(inference, batch_size: batch);
    var (streamTimes, streamOut) = Time(batch, (reset, t, into) =>
    {
        if (reset) stream.reset_states();
        using var x = OrtValue.CreateTensorValueFromMemory(chunks[t], stepShape);
        using var outputs = stream.run(("input", x));
        outputs[0].GetTensorDataAsSpan<float>().CopyTo(into);
    });

    var largest = new[] { torchOut, handOut, streamOut }.Max(o => o.Zip(expected, (a, b) => Math.Abs((double)a - b)).Max());
    worst = Math.Max(worst, largest);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{batch,5}  {Median(torchTimes),6:F1} µs  {Median(handTimes),17:F1} µs  {Median(streamTimes),17:F1} µs  {largest,18:0.0e+00}"));
    rows.Add(new()
    {
        ["batch"] = batch, ["torchrnn_us"] = Median(torchTimes), ["onnxruntime_by_hand_us"] = Median(handTimes),
        ["onnx_streaming_session_us"] = Median(streamTimes), ["largest_difference"] = largest,
    });
}

// 4. The record: what ran, where, when.
const double Tolerance = 1e-5;
string? CpuInfo(string field) => File.Exists("/proc/cpuinfo")
    ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
    : null;
var cpu = CpuInfo("model name");
File.WriteAllText(Path.Combine(outDir, "streaming.json"), JsonSerializer.Serialize(new Dictionary<string, object?>
{
    ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), ["cpu"] = cpu,
    ["cpu_family"] = CpuInfo("cpu family"),
    ["processors"] = Environment.ProcessorCount, ["model"] = $"GRU({InputSize}, {HiddenSize}, num_layers={Layers}) float32",
    ["threads"] = 1, ["steps_timed"] = (Passes - 1) * steps, ["results"] = rows,
}, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"all three {(worst <= Tolerance ? "agree" : "DISAGREE")} with TorchRnn's whole-sequence output: largest difference {worst:0.0e+00} (tolerance {Tolerance:0e+00}); CPU: {cpu}"));
return worst <= Tolerance ? 0 : 1;

// Runs Passes passes over the sequence (each from zero states); returns the timed steps (µs) and the last pass's outputs.
(List<double> Times, float[] Outputs) Time(int batch, Action<bool, int, Span<float>> step)
{
    var times = new List<double>();
    var outputs = new float[steps * batch * HiddenSize];
    for (var pass = 0; pass < Passes; pass++)
    for (var t = 0; t < steps; t++)
    {
        var start = Stopwatch.GetTimestamp();
        step(t == 0, t, outputs.AsSpan(t * batch * HiddenSize, batch * HiddenSize));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        if (pass > 0) times.Add(elapsed);
    }
    return (times, outputs);
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

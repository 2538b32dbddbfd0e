// Runs the model samples/DeployOnnx trained and exported, with ONNX Runtime only (no TorchSharp, no LibTorch):
// streams the same waves one step at a time, feeding the state back, and compares with TorchRnn's predictions.
//   dotnet run -c Release --project samples/DeployOnnxRuntime -- DIR    (DIR as DeployOnnx's --out, default sine-onnx)
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

var dir = args.Length switch
{
    0 => "sine-onnx",
    1 => args[0],
    _ => null,
};
if (dir is null)
{
    Console.Error.WriteLine("usage: DeployOnnxRuntime [DIR]");
    return 2;
}

// 1. What DeployOnnx wrote: the model, the waves, TorchRnn's predictions and timings.
using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "torchrnn.json")));
var record = json.RootElement;
var waves = record.GetProperty("waves").GetInt32();
var length = record.GetProperty("length").GetInt32();
var inputs = record.GetProperty("inputs").EnumerateArray().Select(e => e.GetSingle()).ToArray(); // (N, L, 1)
var targets = record.GetProperty("targets").EnumerateArray().Select(e => e.GetSingle()).ToArray();
var torchRnn = record.GetProperty("predictions").EnumerateArray().Select(e => e.GetSingle()).ToArray();

// 2. One session, one thread (as TorchRnn had). Errors only in the log: ONNX Runtime warns that h0, an initializer a
//    caller may override, is not folded as a constant, which is what an optional input is for.
using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
using var session = new InferenceSession(Path.Combine(dir, "sine.onnx"), options);

// 3. Stream: each step feeds x_t (N, 1, 1) and the previous h_n as h0 (left out on the first step: zeros).
const int Passes = 6; // as DeployOnnx: the first pass warms up; five are timed
var predictions = new float[waves * length];
var timings = new List<double>();
using var runOptions = new RunOptions();
for (var pass = 0; pass < Passes; pass++)
{
    OrtValue? h = null;
    for (var t = 0; t < length; t++)
    {
        var step = new float[waves];
        for (var n = 0; n < waves; n++) step[n] = inputs[n * length + t];
        var start = Stopwatch.GetTimestamp();
        using var x = OrtValue.CreateTensorValueFromMemory(step, [waves, 1, 1]);
        var feeds = new Dictionary<string, OrtValue> { ["x"] = x };
        if (h is not null) feeds["h0"] = h;
        using var results = session.Run(runOptions, feeds, ["y", "h_n"]);
        var y = results[0].GetTensorDataAsSpan<float>().ToArray();
        var next = CopyState(results[1]); // results are freed with the collection; the state lives on
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        h?.Dispose();
        h = next;
        if (pass == 0) continue; // the first pass warms up
        timings.Add(elapsed);
        for (var n = 0; n < waves; n++) predictions[n * length + t] = y[n];
    }
    h?.Dispose();
}

// 4. Side by side.
Console.WriteLine("wave  next value  TorchRnn  ONNX Runtime");
for (var n = 0; n < waves; n++)
{
    var last = n * length + length - 1;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{n,4}  {targets[n],10:+0.0000;-0.0000}  {torchRnn[last],8:+0.0000;-0.0000}  {predictions[last],12:+0.0000;-0.0000}"));
}
var largest = predictions.Zip(torchRnn, (a, b) => Math.Abs((double)a - b)).Max();
const double tolerance = 1e-5;
var agrees = largest <= tolerance;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"ONNX Runtime {(agrees ? "agrees" : "DISAGREES")} with TorchRnn on all {predictions.Length} streamed predictions: largest difference {largest:0.0e+00} (tolerance {tolerance:0e+00})"));
var sorted = timings.Order().ToArray();
var latency = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
var appBytes = new DirectoryInfo(AppContext.BaseDirectory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"per step (batch {waves}, one thread, median of {timings.Count}): TorchRnn {record.GetProperty("latency_us").GetDouble():F1} µs, ONNX Runtime {latency:F1} µs"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"app folder: TorchRnn app {record.GetProperty("app_bytes").GetInt64() / 1e6:F1} MB, ONNX Runtime app {appBytes / 1e6:F1} MB"));
return agrees ? 0 : 1;

static OrtValue CopyState(OrtValue state)
{
    var shape = state.GetTensorTypeAndShape().Shape;
    return OrtValue.CreateTensorValueFromMemory(state.GetTensorDataAsSpan<float>().ToArray(), shape);
}

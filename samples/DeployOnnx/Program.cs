// Train a sequence model with TorchRnn, export it to ONNX, and stream it one step at a time, state fed back, as the
// ONNX-Runtime-only app (samples/DeployOnnxRuntime) will. Writes the model and TorchRnn's predictions for it.
//   dotnet run -c Release --project samples/DeployOnnx -- [--steps N] [--out DIR]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using DeployOnnx;
using TorchRnn.Onnx;
using TorchSharp;

var steps = 300;
var outDir = "sine-onnx";
for (var i = 0; i < args.Length; i += 2)
{
    if (i + 1 < args.Length && args[i] == "--steps") steps = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    else if (i + 1 < args.Length && args[i] == "--out") outDir = args[i + 1];
    else
    {
        Console.Error.WriteLine("usage: DeployOnnx [--steps N] [--out DIR]");
        return 2;
    }
}
Directory.CreateDirectory(outDir);
torch.manual_seed(0);
torch.set_num_threads(1); // a batch of 5 one-step inputs: threads cost more than they save (and ONNX Runtime gets one too)

// 1. Train: predict the next value of a sine wave from the values so far.
var model = new SineModel();
var optimizer = torch.optim.Adam(model.parameters(), 0.01);
for (var step = 1; step <= steps; step++)
{
    using var scope = torch.NewDisposeScope();
    var (batch, next) = Waves.Batch(32, 20);
    var loss = torch.nn.functional.mse_loss(model.call(batch), next);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (step % 100 == 0 || step == steps) Console.WriteLine($"step {step}: loss {loss.item<float>():F5}");
}
model.eval();

// 2. Export the streaming step: x (N, L, 1) and the state h0 in, predictions y and the state h_n out. N and L are
//    dynamic; h0 may be left out (zeros), as on the first step.
var onnxPath = Path.Combine(outDir, "sine.onnx");
using (var graph = new OnnxGraph())
{
    var x = graph.input("x", torch.zeros(1, 1, 1), "batch", "steps", null);
    var h0 = graph.optional_input("h0", torch.zeros(1, 1, 8));
    var (y, h_n) = model.Step(x, h0);
    graph.output("y", y);
    graph.output("h_n", h_n);
    graph.save(onnxPath);
}
Console.WriteLine($"exported {onnxPath} ({new FileInfo(onnxPath).Length} bytes)");

// 3. Stream five new waves through TorchRnn one step at a time, timing each step.
const int waves = 5, length = 40, Passes = 6; // the first pass warms up; five are timed
torch.manual_seed(1);
var (test, testTargets) = Waves.Batch(waves, length);
var predictions = new float[waves * length];
var timings = new List<double>();
using (torch.no_grad())
{
    for (var pass = 0; pass < Passes; pass++)
    {
        torch.Tensor? h = null;
        for (var t = 0; t < length; t++)
        {
            using var scope = torch.NewDisposeScope();
            var start = Stopwatch.GetTimestamp();
            var (y, h_n) = model.Step(test[.., t..(t + 1)], h);
            var values = y.data<float>().ToArray(); // (N, 1, 1): what the caller reads each step
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            h?.Dispose();
            h = h_n.MoveToOuterDisposeScope();
            if (pass == 0) continue; // the first pass warms up
            timings.Add(elapsed);
            for (var n = 0; n < waves; n++) predictions[n * length + t] = values[n];
        }
        h?.Dispose();
    }
}
var latency = Median(timings);

// 4. Print the last step's prediction of each wave and write everything the ONNX Runtime app compares with.
Console.WriteLine("wave  next value  TorchRnn");
var targets = testTargets[.., -1, 0].data<float>().ToArray();
for (var n = 0; n < waves; n++)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n,4}  {targets[n],10:+0.0000;-0.0000}  {predictions[n * length + length - 1],8:+0.0000;-0.0000}"));
var appBytes = FolderBytes(AppContext.BaseDirectory);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"TorchRnn per step (batch {waves}, one thread, median of {timings.Count}): {latency:F1} µs; app folder {appBytes / 1e6:F1} MB"));
var record = new Dictionary<string, object>
{
    ["waves"] = waves,
    ["length"] = length,
    ["inputs"] = test.contiguous().data<float>().ToArray(),
    ["targets"] = targets,
    ["predictions"] = predictions,
    ["latency_us"] = latency,
    ["app_bytes"] = appBytes,
};
File.WriteAllText(Path.Combine(outDir, "torchrnn.json"), JsonSerializer.Serialize(record));
Console.WriteLine($"wrote {Path.Combine(outDir, "torchrnn.json")}; now: dotnet run -c Release --project samples/DeployOnnxRuntime -- {outDir}");
return 0;

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static long FolderBytes(string path) => new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

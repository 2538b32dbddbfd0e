// The word language model's trained checkpoint exported to ONNX in float32, quantised to int8 with
// quantization.quantize_dynamic (LSTM -> DynamicQuantizeLSTM, decoder -> MatMulInteger, embedding -> int8 Gather),
// and the trade measured: file size, test perplexity (main.py's evaluate, batch 10, bptt 35, run in ONNX Runtime),
// and the per-step latency of generation at batch 1 on one thread, float and int8 timed in alternating blocks.
//   dotnet run -c Release --project samples/WordLanguageModel -- --epochs 1 --save model.pt
//   dotnet run -c Release --project samples/QuantizeOnnx -- --checkpoint model.pt --out out
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using TorchRnn; // brings TorchRnn.nn and its modules
using TorchRnn.Onnx;
using TorchRnn.Samples;
using TorchRnn.Samples.LanguageModel;
using TorchRnn.Serialization;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

var checkpointOption = SampleCommandLine.Option("--checkpoint", "The word language model's state_dict (an LSTM model; WordLanguageModel --save).", "model.pt");
var dataOption = SampleCommandLine.Option("--data", "The corpus the model was trained on (for its dictionary and test split).", Paths.DefaultData);
var outOption = SampleCommandLine.Option("--out", "The folder for lm.onnx, lm.int8.onnx and int8.md.", "out");
var blocksOption = SampleCommandLine.Option("--blocks", "Latency: alternating blocks per model (the first of each warms up).", 41).AtLeast(2);
var stepsOption = SampleCommandLine.Option("--steps", "Latency: generation steps per block.", 100).AtLeast(1);
var tokensOption = SampleCommandLine.Option("--max-tokens", "Perplexity over the first N tokens of the test split (0: all of it).", 0).AtLeast(0);
var quickOption = new System.CommandLine.Option<bool>("--quick") { Description = "For a model trained with WordLanguageModel --quick: its dictionary (the first 10,000 tokens of each split)." };
var command = SampleCommandLine.Create("QuantizeOnnx",
    "The word language model in ONNX Runtime, float32 against int8 (quantization.quantize_dynamic): size, test perplexity, per-step latency.",
    checkpointOption, dataOption, outOption, blocksOption, stepsOption, tokensOption, quickOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;
var outDir = parsed.GetValue(outOption)!;
Directory.CreateDirectory(outDir);
torch.set_num_threads(1);
var inv = CultureInfo.InvariantCulture;

// 1. The trained model, from its checkpoint, and the corpus it was trained on.
var checkpoint = parsed.GetValue(checkpointOption)!;
var shape = ModelShape.Read(checkpoint);
if (shape.RnnType != "LSTM") throw new ArgumentException($"{checkpoint} holds a {shape.RnnType} model; int8 recurrent weights need an LSTM.");
var corpus = new Corpus(parsed.GetValue(dataOption)!, parsed.GetValue(quickOption) ? TrainOptions.Quick.MaxTokens : 0);
using var model = new RNNModel("LSTM", shape.Ntoken, shape.Emsize, shape.Nhid, shape.Nlayers);
Checkpoint.load(model, checkpoint);
model.eval();
var modules = model.named_children().ToDictionary(c => c.name, c => c.module);
var encoder = (torch.nn.Module<Tensor, Tensor>)modules["encoder"];
var lstm = (LSTM)modules["rnn"];
var decoder = (torch.nn.Module<Tensor, Tensor>)modules["decoder"];
Console.WriteLine($"model: LSTM, {shape.Ntoken} words, emsize {shape.Emsize}, {shape.Nlayers} layers of {shape.Nhid}");

// 2. Export the forward (dropout is the identity in eval): tokens (L, N) and the state in, log-probabilities
//    (L, N, ntoken) and the state out; then the int8 copy.
var floatPath = Path.Combine(outDir, "lm.onnx");
var int8Path = Path.Combine(outDir, "lm.int8.onnx");
using (var graph = new OnnxGraph(model))
{
    var tokens = graph.input("tokens", torch.zeros(5, 1, dtype: torch.int64), "sequence", "batch");
    var h0 = graph.optional_input("h0", torch.zeros(shape.Nlayers, 1, shape.Nhid), null, "batch", null);
    var c0 = graph.optional_input("c0", torch.zeros(shape.Nlayers, 1, shape.Nhid), null, "batch", null);
    var (output, (h_n, c_n)) = lstm.call(encoder.call(tokens), (h0, c0));
    graph.output("log_probs", decoder.call(output).log_softmax(-1));
    graph.output("h_n", h_n);
    graph.output("c_n", c_n);
    graph.save(floatPath);
}
var summary = quantization.quantize_dynamic(floatPath, int8Path);
var floatBytes = new FileInfo(floatPath).Length;
var int8Bytes = new FileInfo(int8Path).Length;
Console.WriteLine($"quantised: {string.Join("; ", summary.quantized)}");
Console.WriteLine($"file: float32 {floatBytes:N0} bytes, int8 {int8Bytes:N0} bytes ({(double)int8Bytes / floatBytes:P1})");

using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
using var floatSession = new InferenceSession(floatPath, sessionOptions);
using var int8Session = new InferenceSession(int8Path, sessionOptions);

// 3. Test perplexity: main.py's evaluate (10 columns, chunks of 35, the state carried between chunks) in TorchRnn
//    and in ONNX Runtime, the state kept by OnnxStreamingSession.
const int Bptt = 35;
var maxTokens = parsed.GetValue(tokensOption);
var testTokens = maxTokens > 0 && maxTokens < corpus.Test.shape[0] ? corpus.Test[..maxTokens] : corpus.Test;
using var testData = Trainer.Batchify(testTokens, Trainer.EvalBatchSize);
var clock = Stopwatch.StartNew();
var torchPpl = Math.Exp(Trainer.Evaluate(model, testData, Bptt));
Console.WriteLine(string.Create(inv, $"test perplexity, TorchRnn: {torchPpl:F2} ({clock.Elapsed.TotalSeconds:F0} s)"));
var rows = testData.shape[0];
var columns = (int)testData.shape[1];
var data = testData.data<long>().ToArray(); // (rows, 10), row-major
double Perplexity(InferenceSession session)
{
    using var stream = new OnnxStreamingSession(session, columns);
    var total = 0.0;
    for (long i = 0; i < rows - 1; i += Bptt)
    {
        var length = (int)Math.Min(Bptt, rows - 1 - i);
        var chunk = data.AsSpan((int)(i * columns), length * columns).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(chunk, [length, columns]);
        using var outputs = stream.run(("tokens", input));
        var logProbs = outputs[0].GetTensorDataAsSpan<float>();
        for (var p = 0; p < length * columns; p++)
            total -= logProbs[p * (int)shape.Ntoken + (int)data[(i + 1) * columns + p]];
    }
    return Math.Exp(total / ((rows - 1) * columns));
}
clock.Restart();
var floatPpl = Perplexity(floatSession);
Console.WriteLine(string.Create(inv, $"test perplexity, ONNX Runtime float32: {floatPpl:F2} ({clock.Elapsed.TotalSeconds:F0} s)"));
clock.Restart();
var int8Ppl = Perplexity(int8Session);
Console.WriteLine(string.Create(inv, $"test perplexity, ONNX Runtime int8: {int8Ppl:F2} ({clock.Elapsed.TotalSeconds:F0} s)"));

// 4. Latency of one generation step at batch 1 (one token in, log-probabilities and the state out), one thread:
//    float32 and int8 in alternating blocks (which goes first alternates too), each step timed; the first block of
//    each is a warm-up. The tokens are the test text's, so both models see the same inputs.
var blocks = parsed.GetValue(blocksOption);
var steps = parsed.GetValue(stepsOption);
var times = new Dictionary<string, List<double>> { ["float32"] = [], ["int8"] = [] };
var blockMedians = new Dictionary<string, List<double>> { ["float32"] = [], ["int8"] = [] };
using var floatStream = new OnnxStreamingSession(floatSession, 1);
using var int8Stream = new OnnxStreamingSession(int8Session, 1);
var token = new long[1];
using var tokenValue = OrtValue.CreateTensorValueFromMemory(token, [1, 1]);
var text = corpus.Test.data<long>().ToArray();
var position = 0;
for (var b = 0; b < blocks; b++)
{
    var order = b % 2 == 0 ? new[] { ("float32", floatStream), ("int8", int8Stream) } : [("int8", int8Stream), ("float32", floatStream)];
    foreach (var (name, stream) in order)
    {
        var block = new List<double>(steps);
        for (var s = 0; s < steps; s++)
        {
            token[0] = text[(position + s) % text.Length];
            var start = Stopwatch.GetTimestamp();
            using (stream.run(("tokens", tokenValue))) { }
            block.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        if (b == 0) continue;
        times[name].AddRange(block);
        blockMedians[name].Add(Quantile(block, 0.5));
    }
    position += steps;
}

// 5. The report: printed, and written to OUT/int8.md with the date, the CPU and the command.
var flags = MachineInfo.Cpu("flags").Split(' ');
var vnni = flags.Contains("avx512_vnni") || flags.Contains("avx_vnni") ? "with VNNI" : "without VNNI";
var report = new StringBuilder();
report.AppendLine(inv, $"# Word language model, float32 against int8 in ONNX Runtime");
report.AppendLine();
report.AppendLine(inv, $"- date (UTC): {DateTime.UtcNow:yyyy-MM-dd HH:mm}");
report.AppendLine(inv, $"- CPU: {MachineInfo.Cpu("model name")}, cpu family {MachineInfo.Cpu("cpu family")}, {Environment.ProcessorCount} cores, {vnni} ({string.Join(" ", flags.Where(f => f.Contains("vnni") || f is "avx2" or "avx512f"))})");
report.AppendLine(inv, $"- ONNX Runtime {typeof(InferenceSession).Assembly.GetName().Version?.ToString(3)}, one intra-op thread; TorchSharp with one thread");
report.AppendLine(inv, $"- command: `dotnet run -c Release --project samples/QuantizeOnnx -- {string.Join(" ", args)}`");
report.AppendLine(inv, $"- model: `{Path.GetFileName(checkpoint)}`, LSTM, {shape.Ntoken:N0} words, emsize {shape.Emsize}, {shape.Nlayers} layers of {shape.Nhid}, untied");
report.AppendLine(inv, $"- quantised: {string.Join("; ", summary.quantized)}{(summary.kept_float.Count > 0 ? $"; kept float: {string.Join("; ", summary.kept_float)}" : "")}");
report.AppendLine();
report.AppendLine("| | float32 | int8 | int8 / float32 |");
report.AppendLine("|---|---:|---:|---:|");
report.AppendLine(inv, $"| ONNX file | {floatBytes / 1e6:F2} MB | {int8Bytes / 1e6:F2} MB | {(double)int8Bytes / floatBytes:F3} |");
report.AppendLine(inv, $"| test perplexity ({(rows - 1) * columns:N0} tokens; TorchRnn: {torchPpl:F2}) | {floatPpl:F2} | {int8Ppl:F2} | {int8Ppl / floatPpl:F4} |");
foreach (var (label, q) in new[] { ("median", 0.5), ("10th percentile", 0.1), ("90th percentile", 0.9) })
{
    var f = Quantile(times["float32"], q);
    var i8 = Quantile(times["int8"], q);
    report.AppendLine(inv, $"| step at batch 1, {label} of {times["float32"].Count:N0} | {f:F0} µs | {i8:F0} µs | {i8 / f:F2} |");
}
report.AppendLine(inv, $"| step at batch 1, block medians (min to max, {blockMedians["float32"].Count} blocks of {steps}) | {blockMedians["float32"].Min():F0} to {blockMedians["float32"].Max():F0} µs | {blockMedians["int8"].Min():F0} to {blockMedians["int8"].Max():F0} µs | |");
var reportPath = Path.Combine(outDir, "int8.md");
File.WriteAllText(reportPath, report.ToString());
Console.WriteLine();
Console.Write(report);
Console.WriteLine($"written: {reportPath}");
// The float32 export must score what TorchRnn scores (the same model, float32 on both sides); else the int8 figures mean nothing.
var exportAgrees = Math.Abs(floatPpl / torchPpl - 1) <= 1e-4;
Console.WriteLine(string.Create(inv, $"the float32 export {(exportAgrees ? "agrees" : "DISAGREES")} with TorchRnn's perplexity (relative difference {Math.Abs(floatPpl / torchPpl - 1):0.0e+00}, tolerance 1e-4)"));
return exportAgrees ? 0 : 1;

static double Quantile(List<double> values, double q)
{
    var sorted = values.Order().ToArray();
    var at = q * (sorted.Length - 1);
    var low = (int)Math.Floor(at);
    var high = Math.Min(low + 1, sorted.Length - 1);
    return sorted[low] + (at - low) * (sorted[high] - sorted[low]);
}

// A sequence model trained in PyTorch (train.py beside this file), run in C#: the GRU and its linear head are
// written as in Python, PyTorch's state_dict is loaded, and the predictions are printed next to PyTorch's.
// Then the weights go back: saved from C# in a file PyTorch loads with torch.load.
//   dotnet run --project samples/FromPyTorch [-- --save PATH]
using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using TorchRnn; // brings TorchRnn.nn, so nn.GRU(...) reads as in PyTorch
using TorchRnn.Samples;
using TorchRnn.Serialization;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

var saveOption = SampleCommandLine.Option("--save", "Where to save the weights for PyTorch (.pt, .pth, .bin or .safetensors).",
    Path.Combine(Path.GetTempPath(), "sine_gru_from_csharp.pt"));
var command = SampleCommandLine.Create("FromPyTorch", "A GRU trained in PyTorch (train.py), loaded, run and saved back.", saveOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;
var saveTo = parsed.GetValue(saveOption)!;
var data = Path.Combine(AppContext.BaseDirectory, "sine_gru"); // sine_gru.pt and predictions.json, copied by the build

// 1. The model, as train.py defines it: state_dict keys rnn.weight_ih_l0, ..., head.weight, head.bias.
var model = new SineModel();
model.eval();

// 2. PyTorch's weights: torch.save(model.state_dict(), "sine_gru.pt"). Strict: every key and shape must match.
Checkpoint.load(model, Path.Combine(data, "sine_gru.pt"));
Console.WriteLine($"loaded {model.state_dict().Count} tensors: {string.Join(", ", model.state_dict().Keys)}");

// 3. Five held-out sine waves of 20 steps; the prediction is the model's output after the last step.
using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "predictions.json")));
var recorded = json.RootElement;
var shape = recorded.GetProperty("inputs").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
var values = recorded.GetProperty("inputs").GetProperty("values").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
var targets = recorded.GetProperty("targets").EnumerateArray().Select(e => e.GetDouble()).ToArray();
var pytorch = recorded.GetProperty("pytorch").EnumerateArray().Select(e => e.GetDouble()).ToArray();
var inputs = torch.tensor(values, shape);
var csharp = Predict(model, inputs);

// 4. Side by side.
Console.WriteLine("wave  next value   PyTorch        C#   |difference|");
var largest = 0.0;
for (var i = 0; i < csharp.Length; i++)
{
    var difference = Math.Abs(csharp[i] - pytorch[i]);
    largest = Math.Max(largest, difference);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{i,4}  {targets[i],10:+0.0000;-0.0000}  {pytorch[i],8:+0.0000;-0.0000}  {csharp[i],8:+0.0000;-0.0000}   {difference:0.0e+00}"));
}
const double tolerance = 1e-5;
var agrees = largest <= tolerance;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"C# {(agrees ? "agrees" : "DISAGREES")} with PyTorch: largest difference {largest:0.0e+00} (tolerance {tolerance:0e+00})"));

// 5. And back: save from C# (say after fine-tuning here); PyTorch reads it with
//    model.load_state_dict(torch.load(path)). A fresh model loaded from it predicts the same, bit for bit.
Checkpoint.save(model, saveTo);
var reloaded = new SineModel();
reloaded.eval();
Checkpoint.load(reloaded, saveTo);
var same = Predict(reloaded, inputs).SequenceEqual(csharp);
Console.WriteLine($"saved for PyTorch: {saveTo}; reloaded in C#, {(same ? "identical" : "DIFFERENT")} predictions");
return agrees && same ? 0 : 1;

static double[] Predict(SineModel model, Tensor inputs)
{
    using var scope = torch.NewDisposeScope();
    using var noGrad = torch.no_grad();
    var next = model.call(inputs)[.., -1, 0];
    return next.to_type(torch.ScalarType.Float64).data<double>().ToArray();
}

/// <summary>train.py's SineModel: GRU(1, 8, batch_first=True), then Linear(8, 1) on every step's output.</summary>
sealed class SineModel : torch.nn.Module<Tensor, Tensor>
{
    private readonly GRU rnn = nn.GRU(1, 8, batch_first: true);
    private readonly TorchSharp.Modules.Linear head = torch.nn.Linear(8, 1);

    public SineModel() : base(nameof(SineModel)) => RegisterComponents();

    // x: (N, L, 1) -> the predicted next value after every step, (N, L, 1).
    public override Tensor forward(Tensor x) => head.call(rnn.call(x).output);
}

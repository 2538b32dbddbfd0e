// An LSTM forecaster trained with TorchRnn on the yearly sunspot numbers 1700-1978, exported to ONNX, and run in an
// ML.NET pipeline (ApplyOnnxModel, a PredictionEngine) to forecast each held-out year 1979-2008 from the 24 years
// before it; its error beside a naive last-value baseline and a seasonal one (the ~11-year solar cycle). Writes
// OUT/sunspots.onnx, OUT/forecast.svg, OUT/forecast.json and OUT/forecast.md (the date, the CPU, the command).
//   dotnet run -c Release --project samples/ForecastMlNet -- --out out
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using ForecastMlNet;
using Microsoft.ML;
using TorchRnn.Onnx;
using TorchRnn.Samples;
using TorchSharp;

var seedOption = SampleCommandLine.Option("--seed", "The seed for torch.manual_seed.", 0L);
var epochsOption = SampleCommandLine.Option("--epochs", "Full-batch Adam steps over the training windows.", 400).AtLeast(1);
var hiddenOption = SampleCommandLine.Option("--hidden", "The LSTM's hidden size.", 32).AtLeast(1);
var heldOutOption = SampleCommandLine.Option("--held-out", "The last N years, forecast and scored; the model never trains on them.", 30).AtLeast(1);
var dataOption = SampleCommandLine.Option("--data", "statsmodels' sunspots.csv (YEAR,SUNACTIVITY).", Sunspots.DefaultPath);
var outOption = SampleCommandLine.Option("--out", "The folder for sunspots.onnx, forecast.svg, forecast.json and forecast.md.", "out");
var command = SampleCommandLine.Create("ForecastMlNet",
    "An LSTM sunspot forecaster trained with TorchRnn, exported to ONNX and run in an ML.NET pipeline (ApplyOnnxModel, PredictionEngine).",
    seedOption, epochsOption, hiddenOption, heldOutOption, dataOption, outOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;
var outDir = parsed.GetValue(outOption)!;
Directory.CreateDirectory(outDir);
var inv = CultureInfo.InvariantCulture;
const int Window = SunspotHistory.Window, Cycle = 11;

// 1. The data: 309 years. The last --held-out years are the test; each year is forecast from the 24 before it.
var data = Sunspots.Load(parsed.GetValue(dataOption)!);
var heldOut = parsed.GetValue(heldOutOption);
var split = data.Values.Length - heldOut; // the first held-out index
if (split - Window < 8) throw new ArgumentException($"--held-out {heldOut} leaves too few training years.");
var trainWindows = data.Windows(Window, Window, split);
var testWindows = data.Windows(Window, split, data.Values.Length);
var actual = data.Values[split..];
var testYears = data.Years[split..];
Console.WriteLine($"years {data.Years[0]}-{data.Years[split - 1]} train ({trainWindows.Length} windows of {Window}), {testYears[0]}-{testYears[^1]} held out");

// 2. Train with TorchRnn: full-batch Adam on the mean squared error of next year's number (in the model's scaled units).
torch.manual_seed(parsed.GetValue(seedOption));
torch.set_num_threads(1);
var scale = data.Values[..split].Max();
var model = new SunspotForecaster(parsed.GetValue(hiddenOption), scale);
var optimizer = torch.optim.Adam(model.parameters(), 0.01);
var epochs = parsed.GetValue(epochsOption);
using (var inputs = Sunspots.Stack(trainWindows))
using (var targets = torch.tensor(data.Values[Window..split]).unsqueeze(1))
{
    for (var epoch = 1; epoch <= epochs; epoch++)
    {
        using var scope = torch.NewDisposeScope();
        var loss = torch.nn.functional.mse_loss(model.call(inputs) / scale, targets / scale);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if (epoch % 100 == 0 || epoch == epochs)
            Console.WriteLine(string.Create(inv, $"epoch {epoch}: training RMSE {Math.Sqrt(loss.item<float>()) * scale:F2} sunspots"));
    }
}
model.eval();

// 3. TorchRnn's own forecasts of the held-out years, and the export (checked against them by onnx.export).
float[] torchForecast;
using (torch.no_grad())
using (var test = Sunspots.Stack(testWindows))
{
    torchForecast = model.call(test).data<float>().ToArray();
}
var onnxPath = Path.Combine(outDir, "sunspots.onnx");
onnx.export(model, Sunspots.Stack(trainWindows[..4]), onnxPath, forward: model.forward);
Console.WriteLine($"exported {onnxPath}: input 'input' (N, {Window}) float, output 'output' (N, 1)");

// 4. ML.NET: the pipeline with the ONNX model, and a PredictionEngine, one held-out year at a time.
var ml = new MLContext(seed: 0);
var pipeline = MlNetForecast.Fit(ml, onnxPath);
var mlForecast = MlNetForecast.Predict(ml, pipeline, testWindows);
var largest = mlForecast.Zip(torchForecast, (a, b) => Math.Abs(a - b)).Max();
const double Tolerance = 1e-3; // sunspot numbers, given to 0.1; float32 on either side
Console.WriteLine(string.Create(inv,
    $"ML.NET's forecasts {(largest <= Tolerance ? "equal" : "DIFFER FROM")} TorchRnn's: largest difference {largest:0.0e+00} (tolerance {Tolerance:0e+00})"));

// 5. The baselines and the errors.
var naive = Enumerable.Range(split, heldOut).Select(t => data.Values[t - 1]).ToArray();
var seasonal = Enumerable.Range(split, heldOut).Select(t => data.Values[t - Cycle]).ToArray();
var methods = new (string Name, string Description, float[] Forecast)[]
{
    ("LSTM (ML.NET)", $"TorchRnn LSTM({1}, {parsed.GetValue(hiddenOption)}) + Linear, through ApplyOnnxModel", mlForecast),
    ("naive", "last year's value, y(t-1)", naive),
    ("seasonal", $"the value one solar cycle back, y(t-{Cycle})", seasonal),
};
double Rmse(float[] f) => Math.Sqrt(f.Zip(actual, (p, a) => (double)(p - a) * (p - a)).Average());
double Mae(float[] f) => f.Zip(actual, (p, a) => Math.Abs((double)p - a)).Average();
Console.WriteLine();
Console.WriteLine($"one-year-ahead forecasts of {testYears[0]}-{testYears[^1]} ({heldOut} years):");
Console.WriteLine("method          RMSE     MAE");
foreach (var (name, _, forecast) in methods)
    Console.WriteLine(string.Create(inv, $"{name,-14} {Rmse(forecast),6:F2}  {Mae(forecast),6:F2}"));

// 6. The plot, the record and the report.
var context = Math.Max(0, split - 40);
File.WriteAllText(Path.Combine(outDir, "forecast.svg"), Plot.Svg(
    $"Yearly sunspot numbers: one-year-ahead forecasts of {testYears[0]}-{testYears[^1]}",
    [
        new Plot.Series("actual", data.Years[context..], data.Values[context..], "black"),
        new Plot.Series("LSTM (ML.NET)", testYears, mlForecast, "#1f77b4"),
        new Plot.Series("naive y(t-1)", testYears, naive, "#999999", Dashed: true),
        new Plot.Series($"seasonal y(t-{Cycle})", testYears, seasonal, "#ff7f0e", Dashed: true),
    ], testYears[0]));
var date = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", inv);
var commandLine = $"dotnet run -c Release --project samples/ForecastMlNet -- {string.Join(" ", args)}".TrimEnd();
var record = new Dictionary<string, object>
{
    ["date_utc"] = date, ["cpu"] = MachineInfo.Cpu("model name"), ["cpu_family"] = MachineInfo.Cpu("cpu family"), ["command"] = commandLine,
    ["years"] = testYears, ["actual"] = actual, ["torchrnn"] = torchForecast, ["mlnet"] = mlForecast, ["naive"] = naive,
    ["seasonal"] = seasonal, ["largest_difference_mlnet_torchrnn"] = largest,
    ["errors"] = methods.ToDictionary(m => m.Name, m => new Dictionary<string, double> { ["rmse"] = Rmse(m.Forecast), ["mae"] = Mae(m.Forecast) }),
};
File.WriteAllText(Path.Combine(outDir, "forecast.json"), JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }));
var report = new StringBuilder();
report.AppendLine("# Sunspot forecasts through ML.NET");
report.AppendLine();
report.AppendLine(inv, $"- date (UTC): {date}; CPU: {MachineInfo.Cpu("model name")}, cpu family {MachineInfo.Cpu("cpu family")}");
report.AppendLine(inv, $"- command: `{commandLine}`");
report.AppendLine(inv, $"- data: yearly sunspot numbers (statsmodels' sunspots.csv, public domain), trained on {data.Years[0]}-{data.Years[split - 1]}, scored on {testYears[0]}-{testYears[^1]}, each year forecast from the {Window} before it");
report.AppendLine(inv, $"- ML.NET's forecasts against TorchRnn's own for the same windows: largest difference {largest:0.0e+00}");
report.AppendLine();
report.AppendLine("| method | RMSE | MAE |");
report.AppendLine("|---|---:|---:|");
foreach (var (name, description, forecast) in methods)
    report.AppendLine(inv, $"| {name}: {description} | {Rmse(forecast):F2} | {Mae(forecast):F2} |");
File.WriteAllText(Path.Combine(outDir, "forecast.md"), report.ToString());
Console.WriteLine($"written: {outDir}/forecast.svg, forecast.json, forecast.md");
return largest <= Tolerance ? 0 : 1;

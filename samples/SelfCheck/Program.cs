// TorchRnn's kernel self-check: every vendor kernel TorchRnn can call on this machine (LibTorch's RNN, LSTM and GRU
// kernels, its cells), checked against TorchRnn's float64 reference over a grid of hidden sizes, with and without
// autograd. Paste its output into a bug report:
//   dotnet run -c Release --project samples/SelfCheck
//   dotnet run -c Release --project samples/SelfCheck -- --sizes 6,200,650
// A "wrong" row is a vendor kernel that is wrong on this CPU; TorchRnn's modules route such calls to their own engine.
using System;
using System.Linq;
using TorchRnn.Diagnostics;
using TorchRnn.Samples;

var sizesOption = SampleCommandLine.Option("--sizes", "Hidden sizes to check, comma-separated; the default grid when empty.", "")
    .Check(text => text.Split(',', StringSplitOptions.RemoveEmptyEntries).All(s => long.TryParse(s, out var n) && n > 0)
        ? null
        : $"--sizes takes positive whole numbers separated by commas, got '{text}'");
var command = SampleCommandLine.Create("SelfCheck", "Checks LibTorch's recurrent kernels against TorchRnn's reference on this machine.", sizesOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;

// 1. The fault without TorchRnn: TorchSharp's own LSTM under no_grad against a float64 copy of itself. On a CPU where
//    oneDNN's LSTM inference kernel is wrong (AMD Zen 5) the difference is about 0.2; elsewhere about 1e-7.
Console.WriteLine($"TorchSharp's own torch.nn.LSTM(5, 6, 2) under no_grad, float32 against float64: largest difference {Reproduction.Difference():G3}");
Console.WriteLine();

// 2. The sizes: the default grid holds the hidden sizes where oneDNN's LSTM inference kernel was measured wrong on
//    AMD Zen 5 and some where it was right.
var text = parsed.GetValue(sizesOption)!;
var sizes = text.Length == 0 ? SelfCheck.DefaultHiddenSizes : text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToList();

// 3. Check every kernel at every size, with and without autograd, and print the machine, LibTorch's build and the table.
var report = SelfCheck.Run(sizes);
Console.Write(report);

// 4. One line to end: what TorchRnn does about it.
Console.WriteLine();
Console.WriteLine(report.AllRight
    ? "Every vendor kernel checked is right on this machine."
    : $"{report.Verdicts.Count(v => !v.Right)} vendor kernel configurations are wrong on this machine; TorchRnn's modules compute those calls with their own engine.");
return 0;

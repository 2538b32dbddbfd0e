// Training through time on a long-range task: delayed recall (remember the marked symbol, answer it Delay steps
// later, through noise). Full BPTT or truncated (--tbptt K), with the three remedies as switches: --clip-norm X,
// --weight-decay X, and a gated --cell. A progress bar per epoch, a table comparing the runs, the loss curves
// (loss.png) and summary.json in --out DIR. --quick compares rnn, lstm and gru in under a minute on 2 CPU cores.
using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using Spectre.Console;
using TorchRnn;
using TorchRnn.Samples;
using TorchSharp;

// 1. Options: --quick sets a small comparison (6 epochs of 50 batches instead of 15 of 100); --epochs and --batches
// override it, given before or after.
var d = new TrainOptions();
var quickOption = new Option<bool>("--quick") { Description = "Compare rnn, lstm and gru in under a minute on 2 CPU cores." };
var cellOption = SampleCommandLine.Option("--cell", "The cells to train, comma-separated: rnn, lstm, gru.", "rnn,lstm,gru");
cellOption.Check(cells => cells.Split(',').All(c => c is "rnn" or "lstm" or "gru") ? null
    : $"--cell takes rnn, lstm or gru (comma-separated), got '{cells}'.");
var epochsOption = new Option<int?>("--epochs") { Description = "Epochs per cell [default: 15, 6 with --quick]." }.AtLeast(1);
var batchesOption = new Option<int?>("--batches") { Description = "Batches per epoch [default: 100, 50 with --quick]." }.AtLeast(1);
var lengthOption = SampleCommandLine.Option("--length", "L, the sequence length.", d.Length).AtLeast(1);
var delayOption = SampleCommandLine.Option("--delay", "D, how many steps before the end the marked symbol comes.", d.Delay).AtLeast(1);
var noiseOption = SampleCommandLine.Option("--noise", "The rate of noise symbols.", d.Noise);
var hiddenOption = SampleCommandLine.Option("--hidden", "H, the hidden size.", d.Hidden).AtLeast(1);
var lrOption = SampleCommandLine.Option("--lr", "Adam's learning rate.", d.LearningRate);
var clipOption = SampleCommandLine.Option("--clip-norm", "clip_grad_norm_'s max_norm; 0 does not clip.", d.ClipNorm);
var decayOption = SampleCommandLine.Option("--weight-decay", "Adam's weight_decay (L2).", d.WeightDecay);
var tbpttOption = SampleCommandLine.Option("--tbptt", "K, truncated BPTT in chunks of K steps; 0 is full BPTT.", d.Tbptt).AtLeast(0);
var gateBiasOption = SampleCommandLine.Option("--gate-bias", "The initial bias of the LSTM's forget gate and the GRU's update gate.", d.GateBias);
// Small matrices: one thread beats several that wait on each other (measured: 2.7x less CPU time on 2 cores).
var threadsOption = SampleCommandLine.Option("--threads", "torch.set_num_threads.", 1).AtLeast(1);
var seedOption = SampleCommandLine.Option("--seed", "The seed for weights and data.", d.Seed);
var deviceOption = SampleCommandLine.Option("--device", "cpu or cuda.", d.Device);
deviceOption.AcceptOnlyFromAmong("cpu", "cuda");
var outOption = SampleCommandLine.Option("--out", "The folder for loss.png and summary.json.", "out");
var command = SampleCommandLine.Create("TrainSequence", "Delayed recall trained with full or truncated BPTT, clipping, weight decay and gated cells.",
    quickOption, cellOption, epochsOption, batchesOption, lengthOption, delayOption, noiseOption, hiddenOption, lrOption, clipOption,
    decayOption, tbpttOption, gateBiasOption, threadsOption, seedOption, deviceOption, outOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;
var quick = parsed.GetValue(quickOption);
var options = new TrainOptions(
    Epochs: parsed.GetValue(epochsOption) ?? (quick ? 6 : 15),
    BatchesPerEpoch: parsed.GetValue(batchesOption) ?? (quick ? 50 : 100),
    Length: parsed.GetValue(lengthOption), Delay: parsed.GetValue(delayOption), Noise: parsed.GetValue(noiseOption),
    Hidden: parsed.GetValue(hiddenOption), LearningRate: parsed.GetValue(lrOption), ClipNorm: parsed.GetValue(clipOption),
    WeightDecay: parsed.GetValue(decayOption), Tbptt: parsed.GetValue(tbpttOption), GateBias: parsed.GetValue(gateBiasOption),
    Seed: parsed.GetValue(seedOption), Device: parsed.GetValue(deviceOption)!);
var cells = parsed.GetValue(cellOption)!.Split(',');
var threads = parsed.GetValue(threadsOption);
var outDir = parsed.GetValue(outOption)!;
if (options.Device == "cuda" && !torch.cuda.is_available())
{
    Console.Error.WriteLine("TrainSequence: --device cuda: CUDA is not available (build with -p:TorchBackend=cuda-linux or cuda-windows)");
    return SampleCommandLine.UsageError;
}

torch.set_num_threads(threads);

// Spectre.Console writes where Console.Out points now; without a terminal it prints one plain line per epoch.
var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
var live = console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
// Lines under 80 columns; piped output is never wrapped (Spectre would wrap at its default width of 80).
if (!live) console.Profile.Width = 200;
Console.Out.WriteLine($"Delayed recall: {options.Length} steps of random symbols (K = {options.Symbols}); remember the one");
Console.Out.WriteLine($"marked {options.Delay} steps before the end. Guessing scores {Py.format(1.0 / options.Symbols, ".0%")}.");
Console.Out.WriteLine($"{options.Epochs} epochs x {options.BatchesPerEpoch} batches of {options.BatchSize}, hidden {options.Hidden}, " +
    $"Adam lr {Py.format(options.LearningRate, "")}, seed {options.Seed},");
Console.Out.WriteLine($"{(options.Tbptt > 0 ? $"truncated BPTT, chunks of {options.Tbptt}" : "full BPTT")}, {options.Device}.");

// 2. Train each cell with the same data, seed and remedies.
var runs = new List<RunResult>();
foreach (var cell in cells)
{
    var run = options with { Cell = cell };
    var label = Report.Label(run);
    if (live)
    {
        RunResult? result = null;
        console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                ProgressTask? bar = null;
                result = Trainer.Train(run,
                    onBatch: (epoch, batch, loss) =>
                    {
                        bar ??= ctx.AddTask(Markup.Escape(Report.EpochRow(label, epoch, run.Epochs, null)), maxValue: run.BatchesPerEpoch);
                        bar.Increment(1);
                    },
                    onEpoch: e =>
                    {
                        // Same width as while it ran, so no row shifts; stopped, so its elapsed time stops too.
                        bar!.Description = Markup.Escape(Report.EpochRow(label, e.Epoch, run.Epochs, e));
                        bar.Value = bar.MaxValue;
                        bar.StopTask();
                        bar = null;
                    });
            });
        runs.Add(result!);
    }
    else
    {
        runs.Add(Trainer.Train(run, onEpoch: e => Console.Out.WriteLine(
            $"{Report.EpochRow(label, e.Epoch, run.Epochs, e)}, max grad norm {Py.format(e.GradNorm, ".2f")}")));
    }
}

// 3. The comparison: held-out accuracy after the last epoch against guessing.
var table = new Table().AddColumns("run", "final loss", "accuracy", "max grad norm", "seconds", "verdict");
foreach (var r in runs)
{
    var solved = r.FinalAccuracy >= 0.9;
    table.AddRow(Markup.Escape(Report.Label(r.Options)), Py.format(r.FinalLoss, ".3f"), Py.format(r.FinalAccuracy, ".1%"),
        Py.format(r.Epochs.Max(e => e.GradNorm), ".2f"), Py.format(r.Seconds, ".1f"),
        solved ? "solved" : r.FinalAccuracy < r.Chance + 0.1 ? "near guessing" : "partly");
}
console.Write(table);

// 4. The loss curves and the summary.
Directory.CreateDirectory(outDir);
var png = Path.Combine(outDir, "loss.png");
var json = Path.Combine(outDir, "summary.json");
Report.SaveLossChart(runs, png);
Report.SaveSummary(runs, json);
Console.Out.WriteLine($"chart: {png}");
Console.Out.WriteLine($"summary: {json}");
return 0;

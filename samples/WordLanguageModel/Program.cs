// TorchRnn's twin of PyTorch's examples/word_language_model: a word-level language model on WikiText-2 with a
// run-time choice of LSTM, GRU or Elman RNN, trained with truncated BPTT, gradient clipping and plain SGD, then
// sampled one word at a time. With the same seed and options it gives PyTorch's numbers (main.py and generate.py
// beside this file are the PyTorch side).
//   dotnet run -c Release --project samples/WordLanguageModel -- --epochs 1          (main.py: train, test, save model.pt)
//   dotnet run -c Release --project samples/WordLanguageModel -- generate --words 100 (generate.py: write generated.txt)
// The parts: Data.cs (data.py), RNNModel.cs (model.py), Training.cs (main.py), Generation.cs (generate.py).
using System;
using Spectre.Console;
using TorchRnn.Samples.LanguageModel;

// Spectre.Console writes where Console.Out points now: a live display in a terminal, plain lines otherwise.
var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
return CommandLine.Run(args, console);

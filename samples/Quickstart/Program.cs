// The tutorial's closing PyTorch example, line by line in C#. Its Python twin is quickstart.py beside this file:
//   dotnet run --project samples/Quickstart -- --seed 0
//   python3 samples/Quickstart/quickstart.py --seed 0
// print the same modules, tensors and shapes (PyTorch adds grad_fn=<...>, a name TorchSharp cannot read).
using TorchRnn; // brings TorchRnn.nn, so nn.RNN(...) reads as in PyTorch
using TorchRnn.Samples;
using TorchSharp;

var seedOption = SampleCommandLine.Option("--seed", "The seed for torch.manual_seed.", 0L);
var command = SampleCommandLine.Create("Quickstart", "The tutorial's closing PyTorch example, line by line.", seedOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;

// 1. Seed the global generator, so weights and inputs are PyTorch's for the same seed.
torch.manual_seed(parsed.GetValue(seedOption));

// 2. A single RNN cell: 3 input features, 2 hidden features.
var rnn_cell = nn.RNNCell(input_size: 3, hidden_size: 2);
Py.print(rnn_cell);

// 3. A two-layer RNN: 5 input features, 6 hidden features.
var rnn = nn.RNN(5, 6, 2);
Py.print(rnn);

// 4. One time step of a batch of 3, and an initial hidden state for each layer: (L, N, H_in) and (num_layers, N, H_out).
var input1 = torch.randn(1, 3, 5);
var h0 = torch.randn(2, 3, 6);

// 5. Run it: output is the last layer's state at every step, hn every layer's last state.
var (output, hn) = rnn.call(input1, h0);
Py.print(input1);
Py.print(output);
Py.print(output.shape);
Py.print(hn);
Py.print(hn.shape);
return 0;

// The tutorial's shapes through the three recurrent layers side by side, then an LSTM with projections.
// Its Python twin is gated_cells.py beside this file; for the same --seed both print the same text
// (PyTorch adds grad_fn=<...> to results, a name TorchSharp cannot read).
using TorchRnn; // brings TorchRnn.nn, so nn.LSTM(...) reads as in PyTorch
using TorchRnn.Samples;
using TorchSharp;

var seedOption = SampleCommandLine.Option("--seed", "The seed for torch.manual_seed.", 0L);
var command = SampleCommandLine.Create("GatedCells", "RNN, GRU and LSTM side by side, then projections and two directions.", seedOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;
torch.manual_seed(parsed.GetValue(seedOption));

// 1. The tutorial's input: one time step (L = 1) of a batch of 3 (N = 3) with 5 features (H_in = 5).
var input1 = torch.randn(1, 3, 5);
Py.print("input:", input1.shape);

// 2. RNN and GRU carry one state h: (num_layers, N, H_out).
var rnn = nn.RNN(5, 6, 2);
var (rnnOutput, rnnH) = rnn.call(input1);
Py.print(rnn, "output:", rnnOutput.shape, "h_n:", rnnH.shape);

var gru = nn.GRU(5, 6, 2);
var (gruOutput, gruH) = gru.call(input1);
Py.print(gru, "output:", gruOutput.shape, "h_n:", gruH.shape);

// 3. LSTM carries two: h and the cell state c, both (num_layers, N, hidden_size) without projections.
var lstm = nn.LSTM(5, 6, 2);
var (lstmOutput, (lstmH, lstmC)) = lstm.call(input1);
Py.print(lstm, "output:", lstmOutput.shape, "h_n:", lstmH.shape, "c_n:", lstmC.shape);

// 4. With proj_size = 3, h (and so the output) shrinks to 3 features; c keeps hidden_size = 6.
var projected = nn.LSTM(5, 6, 2, proj_size: 3);
var (projectedOutput, (projectedH, projectedC)) = projected.call(input1);
Py.print(projected, "output:", projectedOutput.shape, "h_n:", projectedH.shape, "c_n:", projectedC.shape);
Py.print(projected.get_parameter("weight_hr_l0")!.shape, projected.get_parameter("weight_hh_l0")!.shape);

// 5. Bidirectional doubles the output's features and the number of states.
var bidirectional = nn.GRU(5, 6, 2, bidirectional: true);
var (biOutput, biH) = bidirectional.call(input1);
Py.print(bidirectional, "output:", biOutput.shape, "h_n:", biH.shape);

// 6. The numbers themselves, seeded: the projected LSTM's output equals PyTorch's.
Py.print(projectedOutput);
return 0;

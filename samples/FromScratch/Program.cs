// The tutorial's Elman equations, written out with plain tensor operations (Elman.cs beside this file), run on the
// weights of an nn.RNN and checked against it: one layer with an output layer, two stacked layers, two directions.
//   dotnet run --project samples/FromScratch -- --seed 0
// Everything is float64, so hand-written and library results agree to about 1e-15; the program fails (exit code 1)
// if any difference reaches 1e-12.
using System;
using FromScratch;
using TorchRnn; // brings TorchRnn.nn, so nn.RNN(...) reads as in PyTorch
using TorchRnn.Samples;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

var seedOption = SampleCommandLine.Option("--seed", "The seed for torch.manual_seed.", 0L);
var command = SampleCommandLine.Create("FromScratch", "The Elman equations by hand, checked against nn.RNN (exit code 1 at a difference of 1e-12).", seedOption);
if (!SampleCommandLine.TryParse(command, args, out var parsed, out var exitCode)) return exitCode;

// 1. Seed the global generator (--seed S): the weights and the synthetic inputs follow from it.
torch.manual_seed(parsed.GetValue(seedOption));
const double tolerance = 1e-12;
var worst = 0.0;

// 2. An Elman network in float64: nn.RNN(4, 3) for the hidden state, torch.nn.Linear(3, 2) for the output.
var rnn = nn.RNN(4, 3, dtype: torch.float64);
var linear = torch.nn.Linear(3, 2, dtype: torch.float64);
Py.print(rnn);
var W_xh = rnn.get_parameter("weight_ih_l0")!;
var W_hh = rnn.get_parameter("weight_hh_l0")!;
var b_ih = rnn.get_parameter("bias_ih_l0")!;
var b_hh = rnn.get_parameter("bias_hh_l0")!;
var W_hy = linear.weight!;
var b_y = linear.bias!;
Py.print("W_xh = weight_ih_l0 (H_out, H_in):", W_xh.shape);
Py.print("W_hh = weight_hh_l0 (H_out, H_out):", W_hh.shape);
Py.print("b_ih, b_hh (H_out):", b_ih.shape, b_hh.shape);
Py.print("W_hy = linear.weight (H_y, H_out):", W_hy.shape);
Py.print("b_y = linear.bias (H_y):", b_y.shape);

// 3. A synthetic batch: L = 5 steps of N = 2 sequences with H_in = 4 features, and h_0 = 0.
var x = torch.randn(5, 2, 4, dtype: torch.float64);
var h_0 = torch.zeros(2, 3, dtype: torch.float64);
Py.print("x (L, N, H_in):", x.shape);
Py.print("x_t = x[t] (N, H_in):", x[0].shape);
Py.print("h_0 (N, H_out):", h_0.shape);

// 4. One step by hand: h_1 = tanh(W_xh x_1 + b_ih + W_hh h_0 + b_hh).
var h_1 = Elman.Step(x[0], h_0, W_xh, W_hh, b_ih, b_hh);
Py.print("h_t (N, H_out):", h_1.shape);

// 5. Every step: loop over t, carrying h_t, then y_t = W_hy h_t + b_y. Compare with nn.RNN and Linear.
var hs = Elman.Layer(x, h_0, W_xh, W_hh, b_ih, b_hh);
var ys = Elman.Output(hs, W_hy, b_y);
var (output, h_n) = rnn.call(x);
var y = linear.call(output);
Py.print("h_1 ... h_L (L, N, H_out):", hs.shape, "nn.RNN output:", output.shape);
Py.print("y_1 ... y_L (L, N, H_y):", ys.shape);
Py.print("y by hand:");
Py.print(ys);
Py.print("y from nn.RNN and Linear:");
Py.print(y);
Compare("output", hs, output);
Compare("h_n = h_L", hs[-1].unsqueeze(0), h_n);
Compare("y", ys, y);

// 6. Two layers: layer 2 reads layer 1's h_t sequence as its x_t. h_n holds each layer's last h_t.
var rnn2 = nn.RNN(4, 3, num_layers: 2, dtype: torch.float64);
Py.print(rnn2);
var layer1 = Elman.Layer(x, h_0, P(rnn2, "weight_ih_l0"), P(rnn2, "weight_hh_l0"), P(rnn2, "bias_ih_l0"), P(rnn2, "bias_hh_l0"));
Py.print("layer 1 h_t sequence = layer 2's x (L, N, H_out):", layer1.shape);
Py.print("W_xh of layer 2 = weight_ih_l1 (H_out, H_out):", P(rnn2, "weight_ih_l1").shape);
var layer2 = Elman.Layer(layer1, h_0, P(rnn2, "weight_ih_l1"), P(rnn2, "weight_hh_l1"), P(rnn2, "bias_ih_l1"), P(rnn2, "bias_hh_l1"));
Py.print("h_n = [layer 1 h_L, layer 2 h_L] (num_layers, N, H_out):", torch.stack([layer1[-1], layer2[-1]]).shape);
CompareWith(rnn2, layer2, torch.stack([layer1[-1], layer2[-1]]));

// 7. Two directions: the reverse one walks the sequence from x_L back to x_1 with its own weights (_reverse).
//    The outputs are concatenated on the last dim, h_n stacks [forward, reverse].
var birnn = nn.RNN(4, 3, bidirectional: true, dtype: torch.float64);
Py.print(birnn);
var forward = Elman.Layer(x, h_0, P(birnn, "weight_ih_l0"), P(birnn, "weight_hh_l0"), P(birnn, "bias_ih_l0"), P(birnn, "bias_hh_l0"));
var backward = Elman.Layer(x, h_0, P(birnn, "weight_ih_l0_reverse"), P(birnn, "weight_hh_l0_reverse"),
    P(birnn, "bias_ih_l0_reverse"), P(birnn, "bias_hh_l0_reverse"), reverse: true);
Py.print("forward h_t, reverse h_t (L, N, H_out):", forward.shape, backward.shape);
var both = torch.cat([forward, backward], -1);
Py.print("concatenated (L, N, 2 * H_out):", both.shape);
var both_h_n = torch.stack([forward[-1], backward[0]]);
Py.print("h_n = [forward h_L, reverse h_1] (2, N, H_out):", both_h_n.shape);
CompareWith(birnn, both, both_h_n);

// 8. Both at once with Elman.Run, which loops over layers and directions as steps 6 and 7 do by hand:
//    two layers in two directions, so layer 2's x_t is (N, 2 * H_out) and h_n is (2 * num_layers, N, H_out).
var deep = nn.RNN(4, 3, num_layers: 2, bidirectional: true, dtype: torch.float64);
Py.print(deep);
Py.print("W_xh of layer 2 = weight_ih_l1 (H_out, 2 * H_out):", P(deep, "weight_ih_l1").shape);
var (deep_output, deep_h_n) = Elman.Run(deep, x);
CompareWith(deep, deep_output, deep_h_n);

Py.print("largest difference overall:", worst, worst < tolerance ? "(below 1e-12: the equations are nn.RNN)" : "(TOO LARGE)");
return worst < tolerance ? 0 : 1;

static Tensor P(torch.nn.Module module, string name) => module.get_parameter(name)!;

// The hand-written outputs and h_n against nn.RNN's for the same input x, printed with their largest difference.
void CompareWith(RNN module, Tensor mine, Tensor mine_h_n)
{
    var (theirs, theirs_h_n) = module.call(x);
    Py.print("h_n by hand:");
    Py.print(mine_h_n);
    Py.print("h_n from nn.RNN:");
    Py.print(theirs_h_n);
    Compare("output", mine, theirs);
    Compare("h_n", mine_h_n, theirs_h_n);
}

void Compare(string what, Tensor mine, Tensor theirs)
{
    var diff = Elman.MaxAbsDiff(mine, theirs);
    worst = Math.Max(worst, diff);
    Py.print($"{what}: shapes", mine.shape, theirs.shape, "largest |difference|:", diff);
}

using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn;

/// <summary>
/// One time step of each recurrence, in managed code, written as ATen writes its CPU cells so that results agree
/// with PyTorch to rounding. The sequence modules use it where TorchSharp has no native kernel (LSTM with
/// <c>proj_size</c>), and the cells where the native cell cannot be built (<c>hidden_size</c> 0).
/// </summary>
internal static class Recurrence
{
    /// <summary>
    /// The next state from <paramref name="inputGates"/> = x W_ih^T + b_ih (all gates) and the current state.
    /// </summary>
    /// <param name="mode">The recurrence.</param>
    /// <param name="inputGates">x W_ih^T + b_ih, (N, gates * hidden).</param>
    /// <param name="h">The hidden state, (N, H_out).</param>
    /// <param name="c">The cell state, for LSTM only.</param>
    /// <param name="w_hh">The recurrent weight.</param>
    /// <param name="b_hh">The recurrent bias, if any.</param>
    /// <param name="w_hr">The projection, for LSTM with <c>proj_size</c> only.</param>
    public static (Tensor h, Tensor? c) Step(RecurrentMode mode, Tensor inputGates, Tensor h, Tensor? c, Tensor w_hh, Tensor? b_hh, Tensor? w_hr)
    {
        switch (mode)
        {
            case RecurrentMode.RnnTanh:
                return (torch.tanh(F.linear(h, w_hh, b_hh).add_(inputGates)), null);
            case RecurrentMode.RnnRelu:
                return (F.relu(F.linear(h, w_hh, b_hh).add_(inputGates)), null);
            case RecurrentMode.Lstm:
            {
                var gates = F.linear(h, w_hh, b_hh).add_(inputGates).chunk(4, 1);
                var i = torch.sigmoid(gates[0]);
                var f = torch.sigmoid(gates[1]);
                var g = torch.tanh(gates[2]);
                var o = torch.sigmoid(gates[3]);
                var nextC = (f * c!).add_(i * g);
                var nextH = o * torch.tanh(nextC);
                return (w_hr is null ? nextH : F.linear(nextH, w_hr), nextC);
            }
            default: // GRU
            {
                var x = inputGates.chunk(3, 1);
                var hg = F.linear(h, w_hh, b_hh).chunk(3, 1);
                var r = torch.sigmoid(hg[0] + x[0]);
                var z = torch.sigmoid(hg[1] + x[1]);
                var n = torch.tanh(x[2] + hg[2] * r);
                return ((h - n) * z + n, null);
            }
        }
    }
}

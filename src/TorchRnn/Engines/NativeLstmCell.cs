using TorchRnn.Kinds;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary><see cref="NativeCell"/> for LSTM: TorchSharp's <c>LSTMCell</c> (LibTorch's <c>lstm_cell</c>).</summary>
internal sealed class NativeLstmCell(TorchSharp.Modules.LSTMCell cell, long hiddenSize) : NativeCell
{
    public override torch.nn.Module Module => cell;

    public override string Kernel => "LibTorch's lstm_cell";

    public override HiddenState Step(Tensor input, HiddenState? hx)
    {
        if (hx is { } state)
        {
            var (h0, c0) = state;
            var (h, c) = cell.forward(input, (h0, c0));
            return new HiddenState(h, c);
        }
        // TorchSharp passes a pair of undefined tensors for a missing state, which LibTorch's cell refuses: make the zeros.
        using var zeros = input.new_zeros(input.shape[0], hiddenSize);
        return Step(input, new HiddenState(zeros, zeros));
    }

    protected override void Replace(CellWeights weights)
    {
        (cell.weight_ih, cell.weight_hh) = (weights.w_ih, weights.w_hh);
        if (weights is { b_ih: { } b_ih, b_hh: { } b_hh }) (cell.bias_ih, cell.bias_hh) = (b_ih, b_hh);
    }
}

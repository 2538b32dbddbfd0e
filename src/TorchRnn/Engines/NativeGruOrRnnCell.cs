using System;
using TorchRnn.Kinds;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="NativeCell"/> for the cells whose state is h alone: TorchSharp's <c>GRUCell</c> and <c>RNNCell</c>
/// (LibTorch's <c>gru_cell</c>, <c>rnn_tanh_cell</c>, <c>rnn_relu_cell</c>), which have the same members but no common
/// type, so they are captured as delegates when the cell is built.
/// </summary>
internal sealed class NativeGruOrRnnCell(torch.nn.Module cell, Func<Tensor, Tensor?, Tensor> forward, Action<CellWeights> share, string kernel)
    : NativeCell
{
    /// <summary>The engine of TorchSharp's GRUCell.</summary>
    public static NativeGruOrRnnCell Of(TorchSharp.Modules.GRUCell gru) => new(gru, gru.forward, w =>
    {
        (gru.weight_ih, gru.weight_hh) = (w.w_ih, w.w_hh);
        if (w is { b_ih: { } b_ih, b_hh: { } b_hh }) (gru.bias_ih, gru.bias_hh) = (b_ih, b_hh);
    }, "LibTorch's gru_cell");

    /// <summary>The engine of TorchSharp's RNNCell.</summary>
    public static NativeGruOrRnnCell Of(TorchSharp.Modules.RNNCell rnn) => new(rnn, rnn.forward, w =>
    {
        (rnn.weight_ih, rnn.weight_hh) = (w.w_ih, w.w_hh);
        if (w is { b_ih: { } b_ih, b_hh: { } b_hh }) (rnn.bias_ih, rnn.bias_hh) = (b_ih, b_hh);
    }, "LibTorch's RNN cell (rnn_tanh_cell, rnn_relu_cell)");

    public override torch.nn.Module Module => cell;

    public override string Kernel => kernel;

    /// <remarks>LibTorch makes the zero state when <paramref name="hx"/> is null.</remarks>
    public override HiddenState Step(Tensor input, HiddenState? hx) => forward(input, hx?.h);

    protected override void Replace(CellWeights weights) => share(weights);
}

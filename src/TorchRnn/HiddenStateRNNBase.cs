using System;
using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// The base of <see cref="RNN"/> and <see cref="GRU"/>, the sequence modules whose only state is h: their
/// <c>forward</c> and <c>call</c> with h as a tensor, returning <c>(output, h_n)</c>. Obsolete: kept so that code
/// written against earlier builds, which named it, still compiles; name <see cref="RNNBase"/> (with a
/// <see cref="HiddenState"/>) or the module's own type instead.
/// </summary>
/// <remarks>
/// Shape key: N = batch size, L = sequence length, D = 2 if bidirectional else 1, H_in = <c>input_size</c>,
/// H_out = <c>hidden_size</c>. <see cref="RNNBase"/>'s own <c>forward</c> and <c>call</c> take and return a
/// <see cref="HiddenState"/>, which holds h or (h, c) and so serves LSTM as well.
/// </remarks>
[Obsolete("HiddenStateRNNBase will be removed in a later release: use RNNBase, whose call takes and returns a HiddenState for RNN, GRU and LSTM alike, or the module's own type (RNN, GRU), which keeps these tensor overloads.")]
public abstract class HiddenStateRNNBase : RNNBase
{
    private protected HiddenStateRNNBase(RecurrentKind kind, long input_size, long hidden_size, long num_layers, bool bias,
        bool batch_first, double dropout, bool bidirectional, Device? device, ScalarType? dtype)
        : base(kind, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size: 0, device, dtype)
    {
    }

    /// <summary>Runs the module over a sequence, with h as a tensor.</summary>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when <see cref="RNNBase.batch_first"/>, or unbatched (L, H_in).</param>
    /// <param name="hx">The initial hidden state, (D * num_layers, N, H_out) or unbatched (D * num_layers, H_out); zeros when null.</param>
    /// <returns>
    /// <c>output</c>, the last layer's h_t for every t: (L, N, D * H_out), (N, L, D * H_out) when batch-first,
    /// unbatched (L, D * H_out); and <c>h_n</c>, every layer's final state, shaped like <paramref name="hx"/>.
    /// </returns>
    /// <exception cref="ArgumentException">
    /// The input or hx has the wrong rank, dtype, feature size, shape or device, or is disposed, or the sequence is
    /// empty; the message is PyTorch's where PyTorch has one.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (Tensor output, Tensor h_n) forward(Tensor input, Tensor? hx = null) => Typed(forward(input, State(hx)));

    /// <summary>Runs the tensor <c>forward</c> with the module's hooks, as calling the module does in PyTorch.</summary>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when batch-first, or unbatched (L, H_in).</param>
    /// <param name="hx">The initial hidden state; zeros when omitted.</param>
    /// <returns><c>(output, h_n)</c> as the tensor <c>forward</c> returns them.</returns>
    /// <exception cref="ArgumentException">As the tensor <c>forward</c>.</exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (Tensor output, Tensor h_n) call(Tensor input, Tensor? hx = null) => Typed(call(input, State(hx)));

    /// <summary>Runs the module over a batch of variable-length sequences, with h as a tensor; the padding is never computed.</summary>
    /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H_in) data.</param>
    /// <param name="hx">The initial hidden state, (D * num_layers, N, H_out) in the batch's original order; zeros when null.</param>
    /// <returns>
    /// <c>output</c>, packed like <paramref name="input"/> with (sum of lengths, D * H_out) data, and <c>h_n</c>, each
    /// sequence's state after its own last step, (D * num_layers, N, H_out) in the original order.
    /// </returns>
    /// <exception cref="ArgumentException">The sequence is inconsistent, or the data or hx has the wrong dtype, size, shape or device.</exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (PackedSequence output, Tensor h_n) forward(PackedSequence input, Tensor? hx = null) => Typed(forward(input, State(hx)));

    /// <summary>Runs the packed <c>forward</c> with the module's hooks for packed input (see <see cref="RNNBase.call(PackedSequence, HiddenState?)"/>).</summary>
    /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H_in) data.</param>
    /// <param name="hx">The initial hidden state; zeros when omitted.</param>
    /// <returns><c>(output, h_n)</c> as the packed <c>forward</c> returns them.</returns>
    /// <exception cref="ArgumentException">As the packed <c>forward</c>.</exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (PackedSequence output, Tensor h_n) call(PackedSequence input, Tensor? hx = null) => Typed(call(input, State(hx)));
}

using System;
using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>nn.LSTM</c>: a multi-layer long short-term memory RNN, optionally with projections (LSTMP).
/// </summary>
/// <remarks>
/// Each step computes gates i, f, g, o from x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh, then
/// c_t = σ(f) c_(t-1) + σ(i) tanh(g) and h_t = σ(o) tanh(c_t), and with <c>proj_size</c> &gt; 0, h_t = h_t W_hr^T.
/// Shapes, with N = batch, L = sequence length, D = 2 if bidirectional else 1, H_in = input_size,
/// H_cell = hidden_size, H_out = proj_size if positive else hidden_size:
/// <list type="bullet">
/// <item>input: (L, N, H_in), (N, L, H_in) when <c>batch_first</c>, or unbatched (L, H_in);</item>
/// <item>h_0 and h_n: (D * num_layers, N, H_out); c_0 and c_n: (D * num_layers, N, H_cell); unbatched without N;</item>
/// <item>output: (L, N, D * H_out), (N, L, D * H_out) when <c>batch_first</c>, unbatched (L, D * H_out).</item>
/// </list>
/// Parameters per layer k (and <c>_reverse</c> twins): <c>weight_ih_l{k}</c> (4 * H_cell, H_in or D * H_out),
/// <c>weight_hh_l{k}</c> (4 * H_cell, H_out), <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> (4 * H_cell), and with
/// projections <c>weight_hr_l{k}</c> (H_out, H_cell). Gate order i, f, g, o. Without projections LibTorch's own
/// kernel computes; with them, TorchRnn's managed recurrence (TorchSharp has no such kernel). The typed
/// <c>forward</c> and <c>call</c> take and return the pair (h, c); <see cref="RNNBase"/>'s take a <see cref="HiddenState"/>.
/// </remarks>
public sealed class LSTM : RNNBase
{
    internal LSTM(long input_size, long hidden_size, long num_layers, bool bias, bool batch_first, double dropout,
        bool bidirectional, long proj_size, Device? device, ScalarType? dtype)
        : base(LstmKind.Instance, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            proj_size, device, dtype)
    {
    }

    /// <summary>Runs the LSTM over a sequence, with the state as the pair (h, c).</summary>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when batch-first, or unbatched (L, H_in).</param>
    /// <param name="hx">
    /// (h_0, c_0): (D * num_layers, N, H_out) and (D * num_layers, N, H_cell), unbatched without N; zeros when null.
    /// </param>
    /// <returns>
    /// <c>output</c>, the last layer's h_t for every t, (L, N, D * H_out) (batch-first or unbatched like the input),
    /// and <c>(h_n, c_n)</c>, every layer's final states, shaped like <paramref name="hx"/>.
    /// </returns>
    /// <exception cref="ArgumentNullException">One of h_0 and c_0 is null.</exception>
    /// <exception cref="ArgumentException">
    /// The input or a state has the wrong rank, dtype, feature size, shape or device, or is disposed, or the sequence
    /// is empty; the message is PyTorch's (<c>Expected hidden[0] size ...</c>, <c>Expected hidden[1] size ...</c>).
    /// </exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (Tensor output, (Tensor h_n, Tensor c_n) state) forward(Tensor input, (Tensor h_0, Tensor c_0)? hx = null)
        => Pair(forward(input, State(hx)));

    /// <summary>Runs the tensor <c>forward</c> with the module's hooks: <c>var (output, (hn, cn)) = lstm.call(x);</c></summary>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when batch-first, or unbatched (L, H_in).</param>
    /// <param name="hx">(h_0, c_0); zeros when omitted.</param>
    /// <returns><c>(output, (h_n, c_n))</c> as the tensor <c>forward</c> returns them.</returns>
    /// <exception cref="ArgumentNullException">One of h_0 and c_0 is null.</exception>
    /// <exception cref="ArgumentException">As the tensor <c>forward</c>.</exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (Tensor output, (Tensor h_n, Tensor c_n) state) call(Tensor input, (Tensor h_0, Tensor c_0)? hx = null)
        => Pair(call(input, State(hx)));

    /// <summary>Runs the LSTM over a batch of variable-length sequences; the padding is never computed.</summary>
    /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H_in) data.</param>
    /// <param name="hx">(h_0, c_0), (D * num_layers, N, H_out) and (D * num_layers, N, H_cell) in the batch's original order; zeros when null.</param>
    /// <returns>
    /// <c>output</c>, packed like <paramref name="input"/> with (sum of lengths, D * H_out) data, and <c>(h_n, c_n)</c>,
    /// each sequence's states after its own last step, in the original order.
    /// </returns>
    /// <exception cref="ArgumentNullException">One of h_0 and c_0 is null.</exception>
    /// <exception cref="ArgumentException">The sequence is inconsistent, or the data or a state has the wrong dtype, size, shape or device.</exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (PackedSequence output, (Tensor h_n, Tensor c_n) state) forward(PackedSequence input, (Tensor h_0, Tensor c_0)? hx = null)
        => Pair(forward(input, State(hx)));

    /// <summary>Runs the packed <c>forward</c> with the module's hooks for packed input (see <see cref="RNNBase.call(PackedSequence, HiddenState?)"/>).</summary>
    /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H_in) data.</param>
    /// <param name="hx">(h_0, c_0); zeros when omitted.</param>
    /// <returns><c>(output, (h_n, c_n))</c>.</returns>
    /// <exception cref="ArgumentNullException">One of h_0 and c_0 is null.</exception>
    /// <exception cref="ArgumentException">As the packed <c>forward</c>.</exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (PackedSequence output, (Tensor h_n, Tensor c_n) state) call(PackedSequence input, (Tensor h_0, Tensor c_0)? hx = null)
        => Pair(call(input, State(hx)));
}

public static partial class nn
{
    /// <summary>Creates PyTorch's <c>nn.LSTM</c>, optionally with projections.</summary>
    /// <param name="input_size">H_in, the number of features of each input step.</param>
    /// <param name="hidden_size">H_cell, the number of features of the cell state (and of h without projections).</param>
    /// <param name="num_layers">How many LSTMs are stacked, each taking the previous one's output.</param>
    /// <param name="bias">Whether the layers use <c>b_ih</c> and <c>b_hh</c>.</param>
    /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
    /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
    /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
    /// <param name="proj_size">If positive, h is projected to this size (H_out) by <c>weight_hr_l{k}</c>.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>The module, its parameters drawn as PyTorch draws them.</returns>
    /// <exception cref="System.ArgumentException">
    /// A size or layer count below one, dropout outside [0, 1], a negative <paramref name="proj_size"/> or one not
    /// smaller than <paramref name="hidden_size"/>; PyTorch's message.
    /// </exception>
    /// <example>
    /// <code>
    /// var lstm = nn.LSTM(5, 6, 2, proj_size: 3);
    /// var (output, (hn, cn)) = lstm.call(torch.randn(1, 3, 5));
    /// Py.print(output.shape, hn.shape, cn.shape); // torch.Size([1, 3, 3]) torch.Size([2, 3, 3]) torch.Size([2, 3, 6])
    /// </code>
    /// </example>
    public static LSTM LSTM(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false,
        double dropout = 0.0, bool bidirectional = false, long proj_size = 0, Device? device = null, ScalarType? dtype = null)
        => new(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, device, dtype);
}

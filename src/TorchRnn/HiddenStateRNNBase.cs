using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// The surface of the sequence modules whose only state is the hidden state h, RNN and GRU: forward and call on a
/// tensor or a <see cref="PackedSequence"/>, returning <c>(output, h_n)</c>. LSTM, which also carries c, has its own.
/// </summary>
/// <remarks>
/// Shape key: N = batch size, L = sequence length, D = 2 if bidirectional else 1, H_in = <c>input_size</c>,
/// H_out = <c>hidden_size</c>.
/// </remarks>
public abstract class HiddenStateRNNBase : RNNBase<Tensor?, (Tensor output, Tensor h_n)>
{
    private protected HiddenStateRNNBase(RecurrentMode mode, long input_size, long hidden_size, long num_layers, bool bias,
        bool batch_first, double dropout, bool bidirectional, Device? device, ScalarType? dtype)
        : base(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size: 0, device, dtype)
    {
    }

    /// <summary>Runs the module over a sequence.</summary>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when <see cref="RNNBase{THx, TResult}.batch_first"/>, or unbatched (L, H_in).</param>
    /// <param name="hx">The initial hidden state, (D * num_layers, N, H_out) or unbatched (D * num_layers, H_out); zeros when null.</param>
    /// <returns>
    /// <c>output</c>, the last layer's h_t for every t: (L, N, D * H_out), (N, L, D * H_out) when batch-first,
    /// unbatched (L, D * H_out); and <c>h_n</c>, every layer's final state, shaped like <paramref name="hx"/>.
    /// </returns>
    /// <exception cref="System.ArgumentException">
    /// The input or hx has the wrong rank, dtype, feature size, shape or device, or the sequence is empty; the message
    /// is PyTorch's.
    /// </exception>
    public override (Tensor output, Tensor h_n) forward(Tensor input, Tensor? hx)
    {
        var (output, h_n, _) = RunSequence(input, hx, null);
        return (output, h_n);
    }

    /// <summary>Runs <see cref="forward(Tensor, Tensor?)"/> with the module's hooks, as calling the module does in PyTorch.</summary>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when batch-first, or unbatched (L, H_in).</param>
    /// <param name="hx">The initial hidden state; zeros when omitted.</param>
    /// <returns><c>(output, h_n)</c> as <see cref="forward(Tensor, Tensor?)"/> returns them.</returns>
    /// <exception cref="System.ArgumentException">As <see cref="forward(Tensor, Tensor?)"/>.</exception>
    public new (Tensor output, Tensor h_n) call(Tensor input, Tensor? hx = null) => base.call(input, hx);

    /// <summary>Runs the module over a batch of variable-length sequences; the padding is never computed.</summary>
    /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H_in) data.</param>
    /// <param name="hx">The initial hidden state, (D * num_layers, N, H_out) in the batch's original order; zeros when null.</param>
    /// <returns>
    /// <c>output</c>, packed like <paramref name="input"/> with (sum of lengths, D * H_out) data, and <c>h_n</c>, each
    /// sequence's state after its own last step, (D * num_layers, N, H_out) in the original order.
    /// </returns>
    /// <exception cref="System.ArgumentException">The data or hx has the wrong dtype, size, shape or device; PyTorch's message.</exception>
    /// <remarks>Packed input runs TorchRnn's managed recurrence, step for step as ATen's packed layers.</remarks>
    public (PackedSequence output, Tensor h_n) forward(PackedSequence input, Tensor? hx = null)
    {
        var (output, h_n, _) = RunPacked(input, hx, null);
        return (output, h_n);
    }

    /// <summary>Runs <see cref="forward(PackedSequence, Tensor?)"/> (module hooks take tensors, so none run).</summary>
    /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H_in) data.</param>
    /// <param name="hx">The initial hidden state; zeros when omitted.</param>
    /// <returns><c>(output, h_n)</c> as <see cref="forward(PackedSequence, Tensor?)"/> returns them.</returns>
    /// <exception cref="System.ArgumentException">As <see cref="forward(PackedSequence, Tensor?)"/>.</exception>
    public (PackedSequence output, Tensor h_n) call(PackedSequence input, Tensor? hx = null) => forward(input, hx);
}

using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// Helpers for recurrent state carried from one forward call to the next, as in truncated backpropagation through
/// time (PyTorch's word-language-model example calls this <c>repackage_hidden</c>).
/// </summary>
public static class State
{
    /// <summary>
    /// Cuts the state <paramref name="h"/> (of <c>nn.RNN</c>, <c>nn.GRU</c> or a cell) from the graph that made it:
    /// the same values, no <c>grad_fn</c>, so the next chunk's <c>backward()</c> stops here instead of running back
    /// through every earlier chunk.
    /// </summary>
    /// <param name="h">A hidden state, (D * num_layers, N, H_out) or any shape; null passes through.</param>
    /// <returns><c>h.detach()</c>, sharing <paramref name="h"/>'s storage; null when <paramref name="h"/> is null.</returns>
    /// <example>
    /// <code>
    /// Tensor? h = null;
    /// foreach (var (chunk, target) in chunks)
    /// {
    ///     var (output, h_n) = rnn.call(chunk, h);
    ///     loss_fn(output, target).backward();
    ///     optimizer.step();
    ///     optimizer.zero_grad();
    ///     h = State.detach(h_n); // carry the values, not the graph
    /// }
    /// </code>
    /// </example>
    [return: NotNullIfNotNull(nameof(h))]
    public static Tensor? detach(Tensor? h) => h?.detach();

    /// <summary>
    /// Cuts an LSTM's <c>(h, c)</c> from the graph that made them, as <see cref="detach(Tensor?)"/> does for one
    /// state.
    /// </summary>
    /// <param name="hc">The hidden and cell states, as <c>nn.LSTM</c> or <c>nn.LSTMCell</c> return them.</param>
    /// <returns><c>(h.detach(), c.detach())</c>, sharing their storage.</returns>
    /// <example>
    /// <code>
    /// (Tensor, Tensor)? hc = null;
    /// foreach (var (chunk, target) in chunks)
    /// {
    ///     var (output, h_n_c_n) = lstm.call(chunk, hc);
    ///     loss_fn(output, target).backward();
    ///     optimizer.step();
    ///     optimizer.zero_grad();
    ///     hc = State.detach(h_n_c_n);
    /// }
    /// </code>
    /// </example>
    public static (Tensor h, Tensor c) detach((Tensor h, Tensor c) hc) => (hc.h.detach(), hc.c.detach());

    /// <summary>
    /// Cuts an LSTM's <c>(h, c)</c> from its graph, or passes null (no state yet, the first chunk) through.
    /// </summary>
    /// <param name="hc">The hidden and cell states, or null.</param>
    /// <returns><c>(h.detach(), c.detach())</c>, or null when <paramref name="hc"/> is null.</returns>
    public static (Tensor h, Tensor c)? detach((Tensor h, Tensor c)? hc) => hc is { } s ? detach(s) : null;

    /// <summary>
    /// Cuts a <see cref="HiddenState"/> (h, or an LSTM's (h, c)) from its graph, or passes null through: PyTorch's
    /// <c>repackage_hidden</c> for a model that holds its recurrent layer as <see cref="RNNBase"/>.
    /// </summary>
    /// <param name="hidden">The state, or null.</param>
    /// <returns><see cref="HiddenState.detach"/> of it, or null.</returns>
    /// <example>
    /// <code>
    /// HiddenState? hidden = null;
    /// foreach (var (chunk, target) in chunks)
    /// {
    ///     var (output, h_n) = rnn.call(chunk, State.detach(hidden));
    ///     hidden = h_n;
    /// }
    /// </code>
    /// </example>
    public static HiddenState? detach(HiddenState? hidden) => hidden?.detach();
}

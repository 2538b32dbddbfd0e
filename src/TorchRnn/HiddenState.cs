using System;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// The state a recurrent layer carries from one call to the next: <c>h</c>, or <c>(h, c)</c> for an LSTM, as
/// PyTorch's <c>hidden</c> is a tensor or a tuple. It is what <see cref="RNNBase"/> and <see cref="RNNCellBase"/>
/// take and return, so code that picks <c>LSTM</c>, <c>GRU</c> or <c>RNN</c> at run time holds one type.
/// </summary>
/// <remarks>
/// A tensor converts to a state implicitly, and so does a tuple <c>(h, c)</c>; a state deconstructs into
/// <c>(h, c)</c> when it has a cell state. The struct holds references only: disposing it disposes its tensors.
/// Shapes are the module's: (D * num_layers, N, H_out) for h and (D * num_layers, N, H_cell) for c of a sequence
/// module, (N, H) for a cell, without N when unbatched.
/// </remarks>
/// <example>
/// <code>
/// RNNBase rnn = nn.RNNBase("LSTM", 10, 20, num_layers: 2);
/// HiddenState? hidden = null;
/// foreach (var chunk in chunks)
/// {
///     var (output, h_n) = rnn.call(chunk, hidden);
///     hidden = h_n.detach(); // PyTorch's repackage_hidden
/// }
/// </code>
/// </example>
public readonly struct HiddenState : IDisposable
{
    /// <summary>
    /// Refused: a state needs h. (A struct always has a parameterless constructor; this one turns <c>new HiddenState()</c>
    /// into a compile error instead of a state whose h is null. <c>default(HiddenState)</c> still has no h; nothing in
    /// TorchRnn accepts it.)
    /// </summary>
    /// <exception cref="InvalidOperationException">Always.</exception>
    [Obsolete("A HiddenState needs h: new HiddenState(h) or new HiddenState(h, c).", error: true)]
    public HiddenState() => throw new InvalidOperationException("A HiddenState needs h: new HiddenState(h) or new HiddenState(h, c).");

    /// <summary>A state of <paramref name="h"/> alone (RNN, GRU and their cells), or of <c>(h, c)</c> (LSTM).</summary>
    /// <param name="h">The hidden state.</param>
    /// <param name="c">The cell state of an LSTM or LSTMCell; null for the others.</param>
    /// <exception cref="ArgumentNullException"><paramref name="h"/> is null.</exception>
    public HiddenState(Tensor h, Tensor? c = null)
    {
        ArgumentNullException.ThrowIfNull(h);
        this.h = h;
        this.c = c;
    }

    /// <summary>The hidden state h.</summary>
    /// <value>Null only in a default-constructed struct.</value>
    public Tensor h { get; }

    /// <summary>The cell state c of an LSTM or LSTMCell; null for RNN, GRU and their cells.</summary>
    public Tensor? c { get; }

    /// <summary>Whether the state has a cell state, as an LSTM's does.</summary>
    public bool has_cell => c is not null;

    /// <summary>A state of <paramref name="h"/> alone.</summary>
    /// <param name="h">The hidden state.</param>
    public static implicit operator HiddenState(Tensor h) => new(h);

    /// <summary>An LSTM's state <c>(h, c)</c>.</summary>
    /// <param name="hc">The hidden and cell states.</param>
    public static implicit operator HiddenState((Tensor h, Tensor c) hc) => new(hc.h, hc.c);

    /// <summary>Reads an LSTM's state as <c>var (h, c) = state;</c>.</summary>
    /// <param name="h">The hidden state.</param>
    /// <param name="c">The cell state.</param>
    /// <exception cref="InvalidOperationException">The state has no cell state (it is not an LSTM's).</exception>
    public void Deconstruct(out Tensor h, out Tensor c)
    {
        h = this.h;
        c = this.c ?? throw new InvalidOperationException("This state has no cell state c: it is an RNN's or a GRU's h alone.");
    }

    /// <summary>
    /// The same values cut from the graph that made them (<c>h.detach()</c>, and <c>c.detach()</c>): PyTorch's
    /// <c>repackage_hidden</c> in truncated backpropagation through time.
    /// </summary>
    /// <returns>A state sharing storage with this one, with no <c>grad_fn</c>.</returns>
    public HiddenState detach() => new(h.detach(), c?.detach());

    /// <summary>Moves the tensors to the enclosing dispose scope, so the state outlives the current one.</summary>
    /// <returns>This state.</returns>
    public HiddenState MoveToOuterDisposeScope()
    {
        h.MoveToOuterDisposeScope();
        c?.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Takes the tensors out of every dispose scope; the caller then disposes them.</summary>
    /// <returns>This state.</returns>
    public HiddenState DetachFromDisposeScope()
    {
        h.DetachFromDisposeScope();
        c?.DetachFromDisposeScope();
        return this;
    }

    /// <summary>Disposes h and c (so <c>using var state = ...</c> frees a state).</summary>
    public void Dispose()
    {
        h?.Dispose();
        c?.Dispose();
    }

    /// <summary>PyTorch's print of the state: the tensor h, or the tuple <c>(h, c)</c>.</summary>
    /// <returns>The repr as <see cref="Py.repr(object?)"/> prints tensors.</returns>
    public override string ToString() => c is null ? Py.repr(h) : $"({Py.repr(h)}, {Py.repr(c)})";
}

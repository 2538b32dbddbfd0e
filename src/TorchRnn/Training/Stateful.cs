using System;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// Keras's <c>stateful=True</c> around a recurrent layer: each call starts from the state the previous call ended
/// with (zeros at first), so a long sequence can be fed chunk by chunk, or a batch of independent streams step by step.
/// The state is carried detached (PyTorch's <c>repackage_hidden</c>): in training, <c>backward()</c> stops at the
/// chunk's start, as in truncated backpropagation through time.
/// </summary>
/// <remarks>
/// Row i of every batch continues row i of the previous batch, so the batch size must stay the same between
/// resets (the layer then refuses the state with its own message). The wrapper owns the state it carries, outside any
/// dispose scope of the caller's; <see cref="reset_states()"/> and <see cref="Dispose(bool)"/> free it. The layer is
/// registered as the child <c>rnn</c>, so a state_dict's keys are <c>rnn.weight_ih_l0</c> and so on.
/// </remarks>
/// <example>
/// <code>
/// var stateful = new Stateful(nn.GRU(1, 16));
/// foreach (var chunk in chunks)          // each (L, N, 1), N the same every time
/// {
///     var output = stateful.call(chunk); // starts where the previous chunk stopped
///     loss_fn(head.call(output), target).backward(); // back to this chunk's start only
/// }
/// stateful.reset_states(3);              // stream 3 starts anew; the others go on
/// </code>
/// </example>
public sealed class Stateful : torch.nn.Module<Tensor, Tensor>
{
    private readonly RNNBase rnn;
    private HiddenState? _state;

    /// <summary>Wraps <paramref name="rnn"/>, its state at zeros.</summary>
    /// <param name="rnn">The layer: <c>nn.RNN</c>, <c>nn.GRU</c>, <c>nn.LSTM</c> or any <see cref="RNNBase"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rnn"/> is null.</exception>
    public Stateful(RNNBase rnn) : base(nameof(Stateful))
    {
        ArgumentNullException.ThrowIfNull(rnn);
        this.rnn = rnn;
        RegisterComponents();
    }

    /// <summary>The wrapped layer.</summary>
    public RNNBase module => rnn;

    /// <summary>The state the next call starts from (detached, owned by the wrapper); null before the first call and
    /// after <see cref="reset_states()"/>.</summary>
    public HiddenState? state => _state;

    /// <summary>Runs the layer on the next chunk from the carried state and keeps its final state for the next call.</summary>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when batch-first, or unbatched (L, H_in); N as in the previous call.</param>
    /// <returns>The layer's output for the chunk.</returns>
    /// <exception cref="ArgumentException">The input does not fit the layer, or its batch differs from the carried state's
    /// (the layer's message; call <see cref="reset_states()"/> to start a batch of another size).</exception>
    public override Tensor forward(Tensor input)
    {
        var (output, h_n) = rnn.call(input, _state);
        var next = h_n.detach().DetachFromDisposeScope();
        _state?.Dispose();
        _state = next;
        return output;
    }

    /// <summary>Keras's <c>reset_states()</c>: the next call starts every stream from zeros.</summary>
    public void reset_states()
    {
        _state?.Dispose();
        _state = null;
    }

    /// <summary>Starts the given streams (rows of the batch) anew, from zeros, and leaves the others' states as they are.</summary>
    /// <param name="rows">Positions in the batch, 0 to N - 1. For an unbatched layer, the one stream is row 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A row outside the carried state's batch.</exception>
    public void reset_states(params long[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (_state is not { } s || rows.Length == 0) return;
        var batched = s.h.dim() == 3;
        var batch = batched ? s.h.shape[1] : 1;
        foreach (var row in rows)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(row, nameof(rows));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, batch, nameof(rows));
        }
        if (!batched)
        {
            reset_states();
            return;
        }
        // A new tensor, not an in-place write: the state's storage may be saved for the previous chunk's backward.
        using var scope = torch.NewDisposeScope();
        var keep = torch.ones(1, batch, 1, dtype: s.h.dtype, device: s.h.device);
        foreach (var row in rows) keep[0, row, 0] = 0;
        var next = new HiddenState((s.h * keep).DetachFromDisposeScope(), (s.c is null ? null : s.c * keep)?.DetachFromDisposeScope());
        s.Dispose();
        _state = next;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) reset_states();
        base.Dispose(disposing);
    }
}

using System;
using TorchRnn.Onnx.Layers;
using TorchRnn.Onnx.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx;

/// <summary>
/// The model's own modules called on <see cref="OnnxTensor"/>s, with the signatures of their tensor <c>call</c>s, so
/// that an export forward reads as the model's forward: <c>head.call(rnn.call(x).output)</c>. Each call writes the
/// module's ONNX form into the graph and runs the module itself on the example values.
/// </summary>
/// <remarks>
/// Recurrent modules: every option (layers, bias, nonlinearity, bidirectional, batch_first, LSTM's proj_size),
/// batched or unbatched input, initial states or none, packed batches through <see cref="OnnxPackedSequence"/>.
/// A state whose batch is 1 is broadcast to the input's batch (so an <see cref="OnnxGraph.optional_input"/> of zeros
/// serves any batch). Other modules: see <see cref="call(torch.nn.Module{Tensor, Tensor}, OnnxTensor)"/>.
/// Modules must be in eval mode (<see cref="onnx"/>'s exports switch the model to it for the export).
/// </remarks>
public static class OnnxModules
{
    /// <summary>An <see cref="RNN"/> over (L, N, H_in), (N, L, H_in) when batch-first, or unbatched (L, H_in).</summary>
    /// <param name="module">The module.</param>
    /// <param name="input">The input sequence.</param>
    /// <param name="hx">h_0 (D * num_layers, N or 1, H_out), unbatched (D * num_layers, H_out); zeros when null.</param>
    /// <returns>output (L, N, D * H_out) like the input's layout, and h_n (D * num_layers, N, H_out).</returns>
    /// <exception cref="ArgumentException">The input or state does not fit the module (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The module is in training mode.</exception>
    public static (OnnxTensor output, OnnxTensor h_n) call(this RNN module, OnnxTensor input, OnnxTensor? hx = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (output, h_n, _) = RecurrentCalls.Sequence(RecurrentSpec.Of(module), input, hx, null,
            (x, h, _) => { var (o, hn) = module.call(x, h); return (o, hn, null); });
        return (output, h_n);
    }

    /// <summary>A <see cref="GRU"/> over (L, N, H_in), (N, L, H_in) when batch-first, or unbatched (L, H_in).</summary>
    /// <param name="module">The module.</param>
    /// <param name="input">The input sequence.</param>
    /// <param name="hx">h_0 (D * num_layers, N or 1, H_out), unbatched (D * num_layers, H_out); zeros when null.</param>
    /// <returns>output (L, N, D * H_out) like the input's layout, and h_n (D * num_layers, N, H_out).</returns>
    /// <exception cref="ArgumentException">The input or state does not fit the module (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The module is in training mode.</exception>
    public static (OnnxTensor output, OnnxTensor h_n) call(this GRU module, OnnxTensor input, OnnxTensor? hx = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (output, h_n, _) = RecurrentCalls.Sequence(RecurrentSpec.Of(module), input, hx, null,
            (x, h, _) => { var (o, hn) = module.call(x, h); return (o, hn, null); });
        return (output, h_n);
    }

    /// <summary>An <see cref="LSTM"/> (with or without projections) over (L, N, H_in), (N, L, H_in) when batch-first,
    /// or unbatched (L, H_in).</summary>
    /// <param name="module">The module.</param>
    /// <param name="input">The input sequence.</param>
    /// <param name="hx">(h_0, c_0): (D * num_layers, N or 1, H_out) and (D * num_layers, N or 1, H_cell), unbatched
    /// without N; zeros when null.</param>
    /// <returns>output (L, N, D * H_out) like the input's layout, and (h_n, c_n).</returns>
    /// <exception cref="ArgumentException">The input or a state does not fit the module (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The module is in training mode.</exception>
    public static (OnnxTensor output, (OnnxTensor h_n, OnnxTensor c_n) state) call(this LSTM module, OnnxTensor input,
        (OnnxTensor h_0, OnnxTensor c_0)? hx = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (output, h_n, c_n) = RecurrentCalls.Sequence(RecurrentSpec.Of(module), input, hx?.h_0, hx?.c_0,
            (x, h, c) => { var (o, (hn, cn)) = module.call(x, h is null ? null : (h, c!)); return (o, hn, cn); });
        return (output, (h_n, c_n!));
    }

    /// <summary>An <see cref="RNN"/> over a packed batch: each sequence stops at its own length (ONNX's <c>sequence_lens</c>).</summary>
    /// <param name="module">The module.</param>
    /// <param name="input">The packed batch.</param>
    /// <param name="hx">h_0 (D * num_layers, N or 1, H_out) in the batch's order; zeros when null.</param>
    /// <returns>The packed output and h_n, each sequence's state after its own last step.</returns>
    /// <exception cref="ArgumentException">The data or state does not fit the module (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The module is in training mode.</exception>
    public static (OnnxPackedSequence output, OnnxTensor h_n) call(this RNN module, OnnxPackedSequence input, OnnxTensor? hx = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (output, h_n, _) = RecurrentCalls.Packed(RecurrentSpec.Of(module), input, hx, null,
            (p, h, _) => { var (o, hn) = module.call(p, h); return (o, hn, null); });
        return (output, h_n);
    }

    /// <summary>A <see cref="GRU"/> over a packed batch: each sequence stops at its own length (ONNX's <c>sequence_lens</c>).</summary>
    /// <param name="module">The module.</param>
    /// <param name="input">The packed batch.</param>
    /// <param name="hx">h_0 (D * num_layers, N or 1, H_out) in the batch's order; zeros when null.</param>
    /// <returns>The packed output and h_n, each sequence's state after its own last step.</returns>
    /// <exception cref="ArgumentException">The data or state does not fit the module (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The module is in training mode.</exception>
    public static (OnnxPackedSequence output, OnnxTensor h_n) call(this GRU module, OnnxPackedSequence input, OnnxTensor? hx = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (output, h_n, _) = RecurrentCalls.Packed(RecurrentSpec.Of(module), input, hx, null,
            (p, h, _) => { var (o, hn) = module.call(p, h); return (o, hn, null); });
        return (output, h_n);
    }

    /// <summary>An <see cref="LSTM"/> over a packed batch: each sequence stops at its own length (ONNX's
    /// <c>sequence_lens</c>; with projections, a masked Scan).</summary>
    /// <param name="module">The module.</param>
    /// <param name="input">The packed batch.</param>
    /// <param name="hx">(h_0, c_0) in the batch's order; zeros when null.</param>
    /// <returns>The packed output and (h_n, c_n), each sequence's states after its own last step.</returns>
    /// <exception cref="ArgumentException">The data or a state does not fit the module (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The module is in training mode.</exception>
    public static (OnnxPackedSequence output, (OnnxTensor h_n, OnnxTensor c_n) state) call(this LSTM module,
        OnnxPackedSequence input, (OnnxTensor h_0, OnnxTensor c_0)? hx = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (output, h_n, c_n) = RecurrentCalls.Packed(RecurrentSpec.Of(module), input, hx?.h_0, hx?.c_0,
            (p, h, c) => { var (o, (hn, cn)) = module.call(p, h is null ? null : (h, c!)); return (o, hn, cn); });
        return (output, (h_n, c_n!));
    }

    /// <summary>One step of an <see cref="RNNCell"/>: input (N, H_in) or (H_in).</summary>
    /// <param name="module">The cell.</param>
    /// <param name="input">The step's input.</param>
    /// <param name="hx">h (N or 1, H) or (H); zeros when null.</param>
    /// <returns>h' (N, H) or (H).</returns>
    /// <exception cref="ArgumentException">The input or state does not fit the cell (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The cell is in training mode.</exception>
    public static OnnxTensor call(this RNNCell module, OnnxTensor input, OnnxTensor? hx = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return RecurrentCalls.Cell(RecurrentSpec.Of(module), input, hx, null, (x, h, _) => (module.call(x, h), null)).h;
    }

    /// <summary>One step of a <see cref="GRUCell"/>: input (N, H_in) or (H_in).</summary>
    /// <param name="module">The cell.</param>
    /// <param name="input">The step's input.</param>
    /// <param name="hx">h (N or 1, H) or (H); zeros when null.</param>
    /// <returns>h' (N, H) or (H).</returns>
    /// <exception cref="ArgumentException">The input or state does not fit the cell (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The cell is in training mode.</exception>
    public static OnnxTensor call(this GRUCell module, OnnxTensor input, OnnxTensor? hx = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return RecurrentCalls.Cell(RecurrentSpec.Of(module), input, hx, null, (x, h, _) => (module.call(x, h), null)).h;
    }

    /// <summary>One step of an <see cref="LSTMCell"/>: input (N, H_in) or (H_in).</summary>
    /// <param name="module">The cell.</param>
    /// <param name="input">The step's input.</param>
    /// <param name="hx">(h, c), each (N or 1, H) or (H); zeros when null.</param>
    /// <returns>(h', c').</returns>
    /// <exception cref="ArgumentException">The input or a state does not fit the cell (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The cell is in training mode.</exception>
    public static (OnnxTensor h_1, OnnxTensor c_1) call(this LSTMCell module, OnnxTensor input, (OnnxTensor h_0, OnnxTensor c_0)? hx = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var (h, c) = RecurrentCalls.Cell(RecurrentSpec.Of(module), input, hx?.h_0, hx?.c_0,
            (x, h0, c0) => module.call(x, h0 is null ? null : (h0, c0!)));
        return (h, c!);
    }

    /// <summary>
    /// A recurrent module of any kind (<c>nn.LSTM</c>, <c>nn.LayerNormLSTM</c>, a <see cref="TorchRnn.Recurrent"/> of
    /// a kind of your own implementing <see cref="IOnnxKind"/>): as the module's <c>call</c>, with the state as tensors
    /// whatever the kind. (<c>nn.RNN</c>, <c>nn.GRU</c> and <c>nn.LSTM</c> also have overloads typed as their own
    /// <c>call</c>.)
    /// </summary>
    /// <param name="module">The module, in eval mode.</param>
    /// <param name="input">(L, N, H_in), batch-first or unbatched as the module takes it.</param>
    /// <param name="h_0">h (D * num_layers, N or 1, H); zeros when null.</param>
    /// <param name="c_0">c, when the kind has a cell state (give both or neither); zeros when null.</param>
    /// <returns>The output, h_n, and c_n (null when the kind has no cell state).</returns>
    /// <exception cref="ArgumentException">The input or a state does not fit the module (TorchRnn's message).</exception>
    /// <exception cref="OnnxExportException">The module is in training mode, or its kind has no step on OnnxTensor, or
    /// that step computes something else than the kind's.</exception>
    public static (OnnxTensor output, OnnxTensor h_n, OnnxTensor? c_n) call(this RNNBase module, OnnxTensor input,
        OnnxTensor? h_0 = null, OnnxTensor? c_0 = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return RecurrentCalls.Sequence(RecurrentSpec.Of(module), input, h_0, c_0, (x, h, c) => Run(module.call(x, State(h, c))));
    }

    /// <summary>A recurrent module of any kind over a packed batch (<see cref="onnx.pack_padded_sequence"/>).</summary>
    /// <param name="module">The module, in eval mode.</param>
    /// <param name="input">The packed input.</param>
    /// <param name="h_0">h in the batch's original order; zeros when null.</param>
    /// <param name="c_0">c, when the kind has a cell state; zeros when null.</param>
    /// <returns>The packed output, h_n, and c_n (null when the kind has no cell state).</returns>
    /// <exception cref="ArgumentException">The input or a state does not fit the module.</exception>
    /// <exception cref="OnnxExportException">As the dense overload.</exception>
    public static (OnnxPackedSequence output, OnnxTensor h_n, OnnxTensor? c_n) call(this RNNBase module, OnnxPackedSequence input,
        OnnxTensor? h_0 = null, OnnxTensor? c_0 = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return RecurrentCalls.Packed(RecurrentSpec.Of(module), input, h_0, c_0, (p, h, c) =>
        {
            var (o, hn) = module.call(p, State(h, c));
            return (o, hn.h, hn.c);
        });
    }

    /// <summary>One step of a recurrent cell of any kind: input (N, H_in) or (H_in).</summary>
    /// <param name="module">The cell, in eval mode.</param>
    /// <param name="input">The step's input.</param>
    /// <param name="h_0">h (N or 1, H) or (H); zeros when null.</param>
    /// <param name="c_0">c, when the kind has a cell state; zeros when null.</param>
    /// <returns>h', and c' (null when the kind has no cell state).</returns>
    /// <exception cref="ArgumentException">The input or a state does not fit the cell.</exception>
    /// <exception cref="OnnxExportException">As <see cref="call(RNNBase, OnnxTensor, OnnxTensor?, OnnxTensor?)"/>.</exception>
    public static (OnnxTensor h_1, OnnxTensor? c_1) call(this RNNCellBase module, OnnxTensor input, OnnxTensor? h_0 = null,
        OnnxTensor? c_0 = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return RecurrentCalls.Cell(RecurrentSpec.Of(module), input, h_0, c_0, (x, h, c) =>
        {
            var next = module.call(x, State(h, c));
            return (next.h, next.c);
        });
    }

    /// <summary>
    /// A module wrapped in <see cref="TorchRnn.Regularization.WeightDrop"/>: in eval its weights are the raw ones, so
    /// the graph is the plain module's with those weights.
    /// </summary>
    /// <param name="module">The wrapper, in eval mode.</param>
    /// <param name="input">(L, N, H_in), batch-first or unbatched as the wrapped module takes it.</param>
    /// <param name="h_0">h (D * num_layers, N or 1, H); zeros when null.</param>
    /// <param name="c_0">c, when the kind has a cell state (give both or neither); zeros when null.</param>
    /// <returns>The output, h_n, and c_n (null when the kind has no cell state).</returns>
    /// <exception cref="ArgumentException">The input or a state does not fit the module.</exception>
    /// <exception cref="OnnxExportException">The module is in training mode (its weights would be a random draw), or as
    /// <see cref="call(RNNBase, OnnxTensor, OnnxTensor?, OnnxTensor?)"/>.</exception>
    public static (OnnxTensor output, OnnxTensor h_n, OnnxTensor? c_n) call(this TorchRnn.Regularization.WeightDrop module, OnnxTensor input,
        OnnxTensor? h_0 = null, OnnxTensor? c_0 = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module.training)
            throw new OnnxExportException("WeightDrop is in training mode, where each forward drops other weights: call eval() before exporting.");
        // The kernels' tensors hold the last forward's weights, dropped if it trained: the raw ones first.
        using (torch.no_grad()) module.SetWeights();
        return module.module.call(input, h_0, c_0);
    }

    /// <summary>
    /// <see cref="TorchRnn.Regularization.LockedDropout"/> in eval mode: the identity, as the module is then (the
    /// graph gains no node).
    /// </summary>
    /// <param name="module">The module, in eval mode.</param>
    /// <param name="input">Its input.</param>
    /// <param name="dropout">The probability the model's forward passes; it has no effect in eval.</param>
    /// <returns><paramref name="input"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="dropout"/> outside [0, 1] (F.dropout's message).</exception>
    /// <exception cref="OnnxExportException">The module is in training mode, where it draws a mask per call.</exception>
    public static OnnxTensor call(this TorchRnn.Regularization.LockedDropout module, OnnxTensor input, double dropout = 0.5)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        if (double.IsNaN(dropout) || dropout < 0 || dropout > 1)
            throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {dropout.ToString(System.Globalization.CultureInfo.InvariantCulture)}", nameof(dropout));
        if (module.training)
            throw new OnnxExportException("LockedDropout is in training mode, where each call draws a mask: call eval() before exporting.");
        return input;
    }

    private static HiddenState? State(Tensor? h, Tensor? c) => h is null ? null : new HiddenState?(new HiddenState(h, c));

    private static (Tensor, Tensor, Tensor?) Run((Tensor output, HiddenState h_n) r) => (r.output, r.h_n.h, r.h_n.c);

    /// <summary>
    /// A TorchSharp layer: <c>Linear</c>, <c>Embedding</c>, <c>Dropout</c> (identity in eval mode), <c>Identity</c>,
    /// <c>ReLU</c>, <c>Tanh</c>, <c>Sigmoid</c>, <c>Softmax</c>, <c>LogSoftmax</c>, <c>LayerNorm</c>, or a
    /// <c>Sequential</c> of them.
    /// </summary>
    /// <param name="module">The layer.</param>
    /// <param name="input">Its input.</param>
    /// <returns>Its output.</returns>
    /// <exception cref="OnnxExportException">
    /// Any other module, including a model class with its own forward (C# code the exporter cannot read: export it
    /// with a forward written on <see cref="OnnxTensor"/>), or a module in training mode. The message names the module.
    /// </exception>
    public static OnnxTensor call(this torch.nn.Module<Tensor, Tensor> module, OnnxTensor input)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        return LayerCalls.Call(module, input);
    }
}

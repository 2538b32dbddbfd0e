using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using TorchRnn.Printing;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn;

/// <summary>
/// What PyTorch's <c>RNNBase</c> holds for every multi-layer recurrent module (RNN, LSTM, GRU): the options, the
/// parameters under PyTorch's names, the forward checks, unbatched and batch-first handling, default states, the
/// layer and direction loop, and the repr. The subclasses only name their state and result types.
/// </summary>
/// <typeparam name="THx">The initial state argument of <c>forward</c>.</typeparam>
/// <typeparam name="TResult">What <c>forward</c> returns.</typeparam>
/// <remarks>
/// Shape key: N = batch size, L = sequence length, D = 2 if bidirectional else 1, H_in = <c>input_size</c>,
/// H_out = <c>proj_size</c> if it is positive, else <c>hidden_size</c>.
/// </remarks>
public abstract class RNNBase<THx, TResult> : RecurrentModule<THx, TResult>
{
    private readonly RecurrentMode _mode;
    private readonly long _directions;
    private readonly long _outputSize;
    private readonly int _perDirection;

    private protected RNNBase(RecurrentMode mode, long input_size, long hidden_size, long num_layers, bool bias,
        bool batch_first, double dropout, bool bidirectional, long proj_size, Device? device, ScalarType? dtype)
        : base(mode.SequenceName(), input_size, hidden_size, bias)
    {
        Checks.SequenceArguments(input_size, hidden_size, num_layers, dropout, proj_size);
        _mode = mode;
        this.num_layers = num_layers;
        this.batch_first = batch_first;
        this.dropout = dropout;
        this.bidirectional = bidirectional;
        ProjSize = proj_size;
        _directions = bidirectional ? 2 : 1;
        _outputSize = proj_size > 0 ? proj_size : hidden_size;
        _perDirection = (bias ? 4 : 2) + (proj_size > 0 ? 1 : 0);

        if (proj_size == 0)
        {
            // One layer never drops anything; LibTorch would repeat the warning given above, so it gets dropout 0.
            AdoptNative(() => NativeRecurrence.CreateSequence(mode, input_size, hidden_size, num_layers, bias, batch_first,
                num_layers == 1 ? 0 : dropout, bidirectional, device, dtype));
        }
        else
        {
            // PyTorch's order: layer, then direction, then w_ih, w_hh, b_ih, b_hh, w_hr. It is also the order of the draws.
            var gates = mode.GateCount() * hidden_size;
            for (var layer = 0; layer < num_layers; layer++)
            {
                var layerInput = layer == 0 ? input_size : _outputSize * _directions;
                for (var direction = 0; direction < _directions; direction++)
                {
                    var suffix = $"_l{layer}{(direction == 1 ? "_reverse" : "")}";
                    AddParameter("weight_ih" + suffix, [gates, layerInput], device, dtype);
                    AddParameter("weight_hh" + suffix, [gates, _outputSize], device, dtype);
                    if (bias)
                    {
                        AddParameter("bias_ih" + suffix, [gates], device, dtype);
                        AddParameter("bias_hh" + suffix, [gates], device, dtype);
                    }
                    AddParameter("weight_hr" + suffix, [proj_size, hidden_size], device, dtype);
                }
            }
        }
        reset_parameters();
    }

    /// <summary>The number of stacked recurrent layers.</summary>
    public long num_layers { get; }

    /// <summary>Whether input and output are (N, L, H) instead of (L, N, H). The states are never batch-first.</summary>
    public bool batch_first { get; }

    /// <summary>The probability of zeroing each output of every layer but the last, in training mode.</summary>
    public double dropout { get; }

    /// <summary>Whether each layer also runs over the reversed sequence (D = 2).</summary>
    public bool bidirectional { get; }

    /// <summary>LSTM's projection size; 0 for the other modules.</summary>
    private protected long ProjSize { get; }

    /// <inheritdoc />
    public override string extra_repr()
    {
        var s = new StringBuilder();
        s.Append(input_size.ToString(CultureInfo.InvariantCulture)).Append(", ").Append(hidden_size.ToString(CultureInfo.InvariantCulture));
        if (ProjSize != 0) s.Append(", proj_size=").Append(ProjSize.ToString(CultureInfo.InvariantCulture));
        if (num_layers != 1) s.Append(", num_layers=").Append(num_layers.ToString(CultureInfo.InvariantCulture));
        if (!bias) s.Append(", bias=False");
        if (batch_first) s.Append(", batch_first=True");
        if (dropout != 0) s.Append(", dropout=").Append(PythonFloat.Repr(dropout));
        if (bidirectional) s.Append(", bidirectional=True");
        return s.ToString();
    }

    /// <summary>
    /// PyTorch's <c>flatten_parameters</c>: on CUDA, lays the weights out in one block for cuDNN. Harmless elsewhere.
    /// </summary>
    public void flatten_parameters()
    {
        switch (Native)
        {
            case TorchSharp.Modules.RNN rnn: rnn.flatten_parameters(); break;
            case TorchSharp.Modules.LSTM lstm: lstm.flatten_parameters(); break;
            case TorchSharp.Modules.GRU gru: gru.flatten_parameters(); break;
        }
    }

    /// <summary>
    /// Runs the whole stack: PyTorch's forward checks in PyTorch's order, unbatched and batch-first handling, the
    /// default zero states, then the engine. <paramref name="c0"/> and the returned <c>c_n</c> are LSTM's.
    /// </summary>
    private protected (Tensor output, Tensor h_n, Tensor? c_n) RunSequence(Tensor input, Tensor? h0, Tensor? c0)
    {
        ArgumentNullException.ThrowIfNull(input);
        var lstm = _mode == RecurrentMode.Lstm;
        Checks.Tensors(input, h0, c0, pair: lstm);
        var x = TensorInfo.Of(input);
        Checks.InputRank(GetName(), x.Rank, saysTensor: !lstm && _mode != RecurrentMode.Gru);
        var batched = x.Rank == 3;
        var h = h0 is null ? default : TensorInfo.Of(h0);
        var c = c0 is null ? default : TensorInfo.Of(c0);
        if (h0 is not null)
        {
            if (lstm) Checks.StateRanks(batched, h.Rank, c.Rank);
            else Checks.HiddenRank(batched, h.Rank);
        }

        // The checks see the shapes PyTorch sees after unsqueezing unbatched input; nothing is unsqueezed yet.
        var batchDim = batch_first ? 0 : 1;
        var inserted = batched ? -1 : batchDim;
        var stateInserted = batched ? -1 : 1;
        var parameters = ParameterInfo;
        Checks.Input(x.DType, x.Size(2, inserted), parameters.DType, input_size);
        var batch = x.Size(batchDim, inserted);
        var states = num_layers * _directions;
        if (h0 is not null)
        {
            Checks.HiddenSize(h, stateInserted, states, batch, _outputSize, lstm ? "Expected hidden[0] size" : "Expected hidden size");
            if (lstm) Checks.HiddenSize(c, stateInserted, states, batch, hidden_size, "Expected hidden[1] size");
            Checks.SameDevice(x, h, "hidden");
            if (c0 is not null) Checks.SameDevice(x, c, "hidden");
        }
        Checks.SameDevice(x, parameters, "parameter");
        Checks.SequenceLength(x.Size(1 - batchDim, inserted));
        if (h0 is not null) Checks.ProductDType(h.DType, parameters.DType, "hx");
        if (c0 is not null) Checks.ProductDType(c.DType, parameters.DType, "hx");

        // Batched input on the native kernel, the common case, needs no dispose scope: its only temporaries are the
        // default states, disposed here.
        if (batched && Native is not null)
        {
            Tensor? zeroH = null, zeroC = null;
            try
            {
                h0 ??= zeroH = torch.zeros(states, batch, _outputSize, x.DType, ParameterDevice);
                if (lstm) c0 ??= zeroC = torch.zeros(states, batch, hidden_size, x.DType, ParameterDevice);
                return NativeRecurrence.ForwardSequence(Native, input, h0, c0);
            }
            finally
            {
                zeroH?.Dispose();
                zeroC?.Dispose();
            }
        }

        using var scope = torch.NewDisposeScope();
        if (!batched)
        {
            input = input.unsqueeze(batchDim);
            h0 = h0?.unsqueeze(1);
            c0 = c0?.unsqueeze(1);
        }
        h0 ??= torch.zeros(states, batch, _outputSize, x.DType, ParameterDevice);
        if (lstm) c0 ??= torch.zeros(states, batch, hidden_size, x.DType, ParameterDevice);

        var (output, h_n, c_n) = Native is null ? RunManaged(input, null, h0, c0) : NativeRecurrence.ForwardSequence(Native, input, h0, c0);
        if (!batched)
        {
            output = output.squeeze(batchDim);
            h_n = h_n.squeeze(1);
            c_n = c_n?.squeeze(1);
        }
        return (output.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope(), c_n?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Runs the stack on a <see cref="PackedSequence"/>: PyTorch's checks, hx permuted by <c>sorted_indices</c>, the
    /// managed recurrence over the packed steps (ATen's packed layer algorithm), and h_n permuted back by
    /// <c>unsorted_indices</c>.
    /// </summary>
    private protected (PackedSequence output, Tensor h_n, Tensor? c_n) RunPacked(PackedSequence input, Tensor? h0, Tensor? c0)
    {
        ArgumentNullException.ThrowIfNull(input);
        var lstm = _mode == RecurrentMode.Lstm;
        var data = input.data;
        Checks.Tensors(data, h0, c0, pair: lstm);
        var batchSizes = input.batch_sizes.data<long>().ToArray();
        var x = TensorInfo.Of(data);
        var parameters = ParameterInfo;
        Checks.InputDType(x.DType, parameters.DType);
        if (x.Rank != 2)
            throw new ArgumentException($"input must have 2 dimensions, got {x.Rank}", nameof(input));
        Checks.Input(x.DType, x.Size(1), parameters.DType, input_size);
        var batch = batchSizes.Length == 0 ? 0 : batchSizes[0];
        var states = num_layers * _directions;
        var h = h0 is null ? default : TensorInfo.Of(h0);
        var c = c0 is null ? default : TensorInfo.Of(c0);
        if (h0 is not null)
        {
            Checks.HiddenSize(h, -1, states, batch, _outputSize, lstm ? "Expected hidden[0] size" : "Expected hidden size");
            if (lstm) Checks.HiddenSize(c, -1, states, batch, hidden_size, "Expected hidden[1] size");
            Checks.SameDevice(x, h, "hidden");
            if (c0 is not null) Checks.SameDevice(x, c, "hidden");
        }
        Checks.SameDevice(x, parameters, "parameter");
        Checks.SequenceLength(batchSizes.Length);
        if (h0 is not null) Checks.ProductDType(h.DType, parameters.DType, "hx");
        if (c0 is not null) Checks.ProductDType(c.DType, parameters.DType, "hx");

        using var scope = torch.NewDisposeScope();
        h0 = h0 is null
            ? torch.zeros(states, batch, _outputSize, x.DType, ParameterDevice)
            : Permute(h0, input.sorted_indices);
        if (lstm)
        {
            c0 = c0 is null
                ? torch.zeros(states, batch, hidden_size, x.DType, ParameterDevice)
                : Permute(c0, input.sorted_indices);
        }
        var (output, h_n, c_n) = RunManaged(data, batchSizes, h0, c0);
        h_n = Permute(h_n, input.unsorted_indices);
        c_n = c_n is null ? null : Permute(c_n, input.unsorted_indices);
        var packed = new PackedSequence(output, input.batch_sizes.alias(), input.sorted_indices?.alias(), input.unsorted_indices?.alias());
        return (packed.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope(), c_n?.MoveToOuterDisposeScope());

        static Tensor Permute(Tensor state, Tensor? indices) => indices is null ? state : state.index_select(1, indices);
    }

    /// <summary>
    /// ATen's CPU algorithm, in managed code: each layer and direction over the sequence, dropout between layers.
    /// <paramref name="input"/> is (L, N, H_in) (or batch-first), or packed data (sum of lengths, H_in) when
    /// <paramref name="batchSizes"/> is given.
    /// </summary>
    private (Tensor output, Tensor h_n, Tensor? c_n) RunManaged(Tensor input, long[]? batchSizes, Tensor h0, Tensor? c0)
    {
        var states = (int)(num_layers * _directions);
        var finalH = new Tensor[states];
        var finalC = c0 is null ? null : new Tensor[states];
        var padded = batchSizes is null;
        var layerInput = padded && batch_first ? input.transpose(0, 1) : input;
        for (var layer = 0; layer < num_layers; layer++)
        {
            var outputs = new Tensor[_directions];
            for (var direction = 0; direction < _directions; direction++)
            {
                var at = (int)(layer * _directions + direction);
                var reverse = direction == 1;
                outputs[direction] = padded
                    ? Direction(layerInput, h0[at], c0?[at], at, reverse, out finalH[at], out var lastC)
                    : PackedDirection(layerInput, batchSizes!, h0[at], c0?[at], at, reverse, out finalH[at], out lastC);
                if (finalC is not null) finalC[at] = lastC!;
            }
            var layerOutput = outputs.Length == 1 ? outputs[0] : torch.cat(outputs, -1);
            layerInput = dropout != 0 && training && layer < num_layers - 1
                ? F.dropout(layerOutput, dropout, training: true)
                : layerOutput;
        }
        var output = padded && batch_first ? layerInput.transpose(0, 1) : layerInput;
        return (output, torch.stack(finalH, 0), finalC is null ? null : torch.stack(finalC, 0));
    }

    /// <summary>One layer-direction's weights, in the order they are registered.</summary>
    private (Tensor w_ih, Tensor w_hh, Tensor? b_ih, Tensor? b_hh, Tensor? w_hr) Weights(int index)
    {
        var flat = Flat;
        var at = index * _perDirection;
        return (flat[at], flat[at + 1], bias ? flat[at + 2] : null, bias ? flat[at + 3] : null,
            ProjSize > 0 ? flat[at + _perDirection - 1] : null);
    }

    /// <summary>One direction of one layer over the whole sequence (L, N, *); the reverse direction walks it backwards.</summary>
    private Tensor Direction(Tensor inputs, Tensor h, Tensor? c, int index, bool reverse, out Tensor lastH, out Tensor? lastC)
    {
        var (w_ih, w_hh, b_ih, b_hh, w_hr) = Weights(index);

        // As ATen does on the CPU: project every time step's input in one product, then recur. unbind, not an index
        // per step: each index's backward would write a zero tensor of the whole sequence's size.
        var projections = F.linear(inputs, w_ih, b_ih).unbind(0);
        var length = projections.Length;
        var steps = new Tensor[length];
        for (var i = 0; i < length; i++)
        {
            var t = reverse ? length - 1 - i : i;
            (h, c) = Recurrence.Step(_mode, projections[t], h, c, w_hh, b_hh, w_hr);
            steps[t] = h;
        }
        lastH = h;
        lastC = c;
        return torch.stack(steps, 0);
    }

    /// <summary>
    /// One direction of one layer over packed data: ATen's <c>PackedLayer</c> and <c>ReversedPackedLayer</c>. Forward,
    /// a sequence's final state is set aside when it ends (the batch shrinks); backward, sequences join as the
    /// walk from the last step reaches their ends (the batch grows, each starting from its own initial state).
    /// </summary>
    private Tensor PackedDirection(Tensor data, long[] batchSizes, Tensor h0, Tensor? c0, int index, bool reverse,
        out Tensor lastH, out Tensor? lastC)
    {
        var (w_ih, w_hh, b_ih, b_hh, w_hr) = Weights(index);
        // One piece per step (split, not narrow per step: each narrow's backward would write a zero tensor of the
        // whole data's size).
        var projections = F.linear(data, w_ih, b_ih).split(batchSizes, 0);
        var steps = batchSizes.Length;
        var outputs = new Tensor[steps];
        if (!reverse)
        {
            Tensor h = h0;
            Tensor? c = c0;
            var finishedH = new List<Tensor>();
            var finishedC = new List<Tensor>();
            var running = batchSizes[0];
            for (var t = 0; t < steps; t++)
            {
                var size = batchSizes[t];
                if (size < running)
                {
                    finishedH.Add(h.narrow(0, size, running - size));
                    h = h.narrow(0, 0, size);
                    if (c is not null)
                    {
                        finishedC.Add(c.narrow(0, size, running - size));
                        c = c.narrow(0, 0, size);
                    }
                    running = size;
                }
                (h, c) = Recurrence.Step(_mode, projections[t], h, c, w_hh, b_hh, w_hr);
                outputs[t] = h;
            }
            finishedH.Add(h);
            finishedH.Reverse();
            lastH = torch.cat(finishedH, 0);
            if (c is not null)
            {
                finishedC.Add(c);
                finishedC.Reverse();
            }
            lastC = c is null ? null : torch.cat(finishedC, 0);
        }
        else
        {
            var running = batchSizes[steps - 1];
            Tensor h = h0.narrow(0, 0, running);
            Tensor? c = c0?.narrow(0, 0, running);
            for (var t = steps - 1; t >= 0; t--)
            {
                var size = batchSizes[t];
                if (size > running)
                {
                    h = torch.cat([h, h0.narrow(0, running, size - running)], 0);
                    if (c is not null) c = torch.cat([c, c0!.narrow(0, running, size - running)], 0);
                    running = size;
                }
                (h, c) = Recurrence.Step(_mode, projections[t], h, c, w_hh, b_hh, w_hr);
                outputs[t] = h;
            }
            lastH = h;
            lastC = c;
        }
        return torch.cat(outputs, 0);
    }
}

using System;
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
        if (lstm) Checks.StatePair(h0, c0);
        Checks.Dense(input, nameof(input));
        Checks.Dense(h0, "hx");
        Checks.Dense(c0, "hx");
        var rank = input.dim();
        Checks.InputRank(GetName(), rank, saysTensor: !lstm && _mode != RecurrentMode.Gru);
        var batched = rank == 3;
        if (h0 is not null)
        {
            if (lstm) Checks.StateRanks(batched, h0.dim(), c0!.dim());
            else Checks.HiddenRank(batched, h0.dim());
        }

        using var scope = torch.NewDisposeScope();
        var batchDim = batch_first ? 0 : 1;
        if (!batched)
        {
            input = input.unsqueeze(batchDim);
            h0 = h0?.unsqueeze(1);
            c0 = c0?.unsqueeze(1);
        }

        var weight = Flat[0];
        Checks.Input(input, weight.dtype, input_size);
        var shape = input.shape;
        var batch = shape[batchDim];
        var states = num_layers * _directions;
        if (h0 is not null)
        {
            Checks.HiddenSize(h0, states, batch, _outputSize, lstm ? "Expected hidden[0] size" : "Expected hidden size");
            if (lstm) Checks.HiddenSize(c0!, states, batch, hidden_size, "Expected hidden[1] size");
            Checks.SameDevice(input, h0, "hidden");
            if (c0 is not null) Checks.SameDevice(input, c0, "hidden");
        }
        Checks.SameDevice(input, weight, "parameter");
        Checks.SequenceLength(shape[1 - batchDim]);
        if (h0 is not null) Checks.ProductDType(h0, weight.dtype, "hx");
        if (c0 is not null) Checks.ProductDType(c0, weight.dtype, "hx");

        h0 ??= torch.zeros(states, batch, _outputSize, dtype: input.dtype, device: input.device);
        if (lstm) c0 ??= torch.zeros(states, batch, hidden_size, dtype: input.dtype, device: input.device);

        var (output, h_n, c_n) = Native is null ? RunManaged(input, h0, c0) : NativeRecurrence.ForwardSequence(Native, input, h0, c0);
        if (!batched)
        {
            output = output.squeeze(batchDim);
            h_n = h_n.squeeze(1);
            c_n = c_n?.squeeze(1);
        }
        return (output.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope(), c_n?.MoveToOuterDisposeScope());
    }

    /// <summary>ATen's CPU algorithm, in managed code: each layer and direction over the sequence, dropout between layers.</summary>
    private (Tensor output, Tensor h_n, Tensor? c_n) RunManaged(Tensor input, Tensor h0, Tensor? c0)
    {
        var states = (int)(num_layers * _directions);
        var finalH = new Tensor[states];
        var finalC = c0 is null ? null : new Tensor[states];
        var layerInput = batch_first ? input.transpose(0, 1) : input;
        for (var layer = 0; layer < num_layers; layer++)
        {
            var outputs = new Tensor[_directions];
            for (var direction = 0; direction < _directions; direction++)
            {
                var at = (int)(layer * _directions + direction);
                outputs[direction] = Direction(layerInput, h0[at], c0?[at], at, reverse: direction == 1, out finalH[at], out var lastC);
                if (finalC is not null) finalC[at] = lastC!;
            }
            var layerOutput = outputs.Length == 1 ? outputs[0] : torch.cat(outputs, 2);
            layerInput = dropout != 0 && training && layer < num_layers - 1
                ? F.dropout(layerOutput, dropout, training: true)
                : layerOutput;
        }
        var output = batch_first ? layerInput.transpose(0, 1) : layerInput;
        return (output, torch.stack(finalH, 0), finalC is null ? null : torch.stack(finalC, 0));
    }

    /// <summary>One direction of one layer over the whole sequence (L, N, *); the reverse direction walks it backwards.</summary>
    private Tensor Direction(Tensor inputs, Tensor h, Tensor? c, int index, bool reverse, out Tensor lastH, out Tensor? lastC)
    {
        var flat = Flat;
        var at = index * _perDirection;
        var w_ih = flat[at];
        var w_hh = flat[at + 1];
        var b_ih = bias ? flat[at + 2] : null;
        var b_hh = bias ? flat[at + 3] : null;
        var w_hr = ProjSize > 0 ? flat[at + _perDirection - 1] : null;

        // As ATen does on the CPU: project every time step's input in one product, then recur.
        var projections = F.linear(inputs, w_ih, b_ih);
        var length = projections.shape[0];
        var steps = new Tensor[length];
        for (long i = 0; i < length; i++)
        {
            var t = reverse ? length - 1 - i : i;
            (h, c) = Recurrence.Step(_mode, projections[t], h, c, w_hh, b_hh, w_hr);
            steps[t] = h;
        }
        lastH = h;
        lastC = c;
        return torch.stack(steps, 0);
    }
}

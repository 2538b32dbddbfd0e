using System;
using System.Globalization;
using System.Text;
using TorchRnn.Printing;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn;

/// <summary>
/// What PyTorch's <c>RNNBase</c> holds for every multi-layer recurrent module: the options, the parameters under
/// PyTorch's names, their initialisation, the forward checks, the layer and direction loop, and the repr.
/// </summary>
/// <typeparam name="THx">The initial state argument of <c>forward</c>.</typeparam>
/// <typeparam name="TResult">What <c>forward</c> returns.</typeparam>
/// <remarks>
/// Shape key: N = batch size, L = sequence length, D = 2 if bidirectional else 1, H_in = <c>input_size</c>,
/// H_out = <c>hidden_size</c>.
/// </remarks>
public abstract class RNNBase<THx, TResult> : RecurrentModule<THx, TResult>
{
    private readonly RecurrentMode _mode;
    private readonly int _perDirection;
    private readonly long _directions;

    private protected RNNBase(string name, RecurrentMode mode, long input_size, long hidden_size, long num_layers, bool bias,
        bool batch_first, double dropout, bool bidirectional, Device? device, ScalarType? dtype)
        : base(name, input_size, hidden_size, bias)
    {
        Checks.SequenceArguments(input_size, hidden_size, num_layers, dropout, proj_size: 0);
        _mode = mode;
        this.num_layers = num_layers;
        this.batch_first = batch_first;
        this.dropout = dropout;
        this.bidirectional = bidirectional;
        _directions = bidirectional ? 2 : 1;
        _perDirection = bias ? 4 : 2;

        // PyTorch's order: layer, then direction, then w_ih, w_hh, b_ih, b_hh. It is also the order of the draws.
        var gates = mode.GateCount() * hidden_size;
        for (var layer = 0; layer < num_layers; layer++)
        {
            var layerInput = layer == 0 ? input_size : hidden_size * _directions;
            for (var direction = 0; direction < _directions; direction++)
            {
                var suffix = $"_l{layer}{(direction == 1 ? "_reverse" : "")}";
                AddParameter("weight_ih" + suffix, [gates, layerInput], device, dtype);
                AddParameter("weight_hh" + suffix, [gates, hidden_size], device, dtype);
                if (bias)
                {
                    AddParameter("bias_ih" + suffix, [gates], device, dtype);
                    AddParameter("bias_hh" + suffix, [gates], device, dtype);
                }
            }
        }
        reset_parameters();
    }

    /// <summary>The number of stacked recurrent layers.</summary>
    public long num_layers { get; }

    /// <summary>Whether input and output are (N, L, H) instead of (L, N, H). The hidden state is never batch-first.</summary>
    public bool batch_first { get; }

    /// <summary>The probability of zeroing each output of every layer but the last, in training mode.</summary>
    public double dropout { get; }

    /// <summary>Whether each layer also runs over the reversed sequence (D = 2).</summary>
    public bool bidirectional { get; }

    /// <inheritdoc />
    public override string extra_repr()
    {
        var s = new StringBuilder();
        s.Append(input_size.ToString(CultureInfo.InvariantCulture)).Append(", ").Append(hidden_size.ToString(CultureInfo.InvariantCulture));
        if (num_layers != 1) s.Append(", num_layers=").Append(num_layers.ToString(CultureInfo.InvariantCulture));
        if (!bias) s.Append(", bias=False");
        if (batch_first) s.Append(", batch_first=True");
        if (dropout != 0) s.Append(", dropout=").Append(PythonFloat.Repr(dropout));
        if (bidirectional) s.Append(", bidirectional=True");
        return s.ToString();
    }

    /// <summary>
    /// Runs the whole stack for RNN and GRU: PyTorch's forward checks, unbatched and batch-first handling, the default
    /// zero state, each layer and direction, and dropout between layers in training mode.
    /// </summary>
    private protected (Tensor output, Tensor h_n) RunSequence(Tensor input, Tensor? hx)
    {
        ArgumentNullException.ThrowIfNull(input);
        var rank = input.dim();
        Checks.InputRank(GetName(), rank, saysTensor: true);

        using var scope = torch.NewDisposeScope();
        var batched = rank == 3;
        var batchDim = batch_first ? 0 : 1;
        if (!batched)
        {
            input = input.unsqueeze(batchDim);
            if (hx is not null)
            {
                Checks.HiddenRank(batched: false, hx.dim());
                hx = hx.unsqueeze(1);
            }
        }
        else if (hx is not null)
        {
            Checks.HiddenRank(batched: true, hx.dim());
        }

        var weight = Flat[0];
        Checks.Input(input, weight.dtype, input_size);
        var shape = input.shape;
        var batch = shape[batchDim];
        var length = shape[1 - batchDim];
        var states = num_layers * _directions;
        if (hx is not null)
        {
            Checks.HiddenSize(hx, states, batch, hidden_size);
            Checks.SameDevice(input, hx, "hidden");
        }
        Checks.SameDevice(input, weight, "parameter");
        Checks.SequenceLength(length);
        if (hx is not null) Checks.ProductDType(hx, weight.dtype, nameof(hx));

        hx ??= torch.zeros(states, batch, hidden_size, dtype: input.dtype, device: input.device);
        var layerInput = batch_first ? input.transpose(0, 1) : input;
        var finals = new Tensor[states];
        for (var layer = 0; layer < num_layers; layer++)
        {
            Tensor layerOutput;
            if (_directions == 1)
            {
                layerOutput = Direction(layerInput, hx[layer], layer, 0, out finals[layer]);
            }
            else
            {
                var forwardOutput = Direction(layerInput, hx[2 * layer], layer, 0, out finals[2 * layer]);
                var reverseOutput = Direction(layerInput, hx[2 * layer + 1], layer, 1, out finals[2 * layer + 1]);
                layerOutput = torch.cat([forwardOutput, reverseOutput], 2);
            }
            layerInput = dropout != 0 && training && layer < num_layers - 1
                ? F.dropout(layerOutput, dropout, training: true)
                : layerOutput;
        }

        var output = batch_first ? layerInput.transpose(0, 1) : layerInput;
        var h_n = torch.stack(finals, 0);
        if (!batched)
        {
            output = output.squeeze(batchDim);
            h_n = h_n.squeeze(1);
        }
        return (output.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope());
    }

    /// <summary>One direction of one layer over the whole sequence (L, N, *); the reverse direction walks it backwards.</summary>
    private Tensor Direction(Tensor inputs, Tensor h, int layer, int direction, out Tensor last)
    {
        var at = (layer * (int)_directions + direction) * _perDirection;
        var flat = Flat;
        var w_ih = flat[at];
        var w_hh = flat[at + 1];
        var b_ih = bias ? flat[at + 2] : null;
        var b_hh = bias ? flat[at + 3] : null;

        // As ATen does on the CPU: project every time step's input in one product, then recur.
        var projections = F.linear(inputs, w_ih, b_ih);
        var length = projections.shape[0];
        var steps = new Tensor[length];
        for (long i = 0; i < length; i++)
        {
            var t = direction == 1 ? length - 1 - i : i;
            h = Recurrence.Step(_mode, projections[t], h, w_hh, b_hh);
            steps[t] = h;
        }
        last = h;
        return torch.stack(steps, 0);
    }
}

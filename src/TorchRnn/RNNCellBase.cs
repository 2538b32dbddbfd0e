using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn;

/// <summary>
/// What PyTorch's <c>RNNCellBase</c> holds for every single-step cell (RNNCell, LSTMCell, GRUCell):
/// <c>weight_ih</c> (gates * hidden, H_in), <c>weight_hh</c> (gates * hidden, hidden), optional <c>bias_ih</c> and
/// <c>bias_hh</c>, their initialisation, the forward checks, unbatched handling, default states and the repr.
/// </summary>
/// <typeparam name="THx">The state argument of <c>forward</c>.</typeparam>
/// <typeparam name="TResult">What <c>forward</c> returns.</typeparam>
/// <remarks>Shape key: N = batch size, H_in = <c>input_size</c>, H_out = <c>hidden_size</c>.</remarks>
public abstract class RNNCellBase<THx, TResult> : RecurrentModule<THx, TResult>
{
    private readonly RecurrentMode _mode;

    private protected RNNCellBase(string name, RecurrentMode mode, long input_size, long hidden_size, bool bias,
        Device? device, ScalarType? dtype)
        : base(name, input_size, hidden_size, bias)
    {
        var gates = mode.GateCount();
        Checks.CellArguments(input_size, hidden_size, gates);
        _mode = mode;
        if (hidden_size > 0)
        {
            AdoptNative(() => NativeRecurrence.CreateCell(mode, input_size, hidden_size, bias, device, dtype));
        }
        else
        {
            // LibTorch's cells cannot initialise an empty hidden state (1/sqrt(0)); PyTorch's can, so compute it here.
            AddParameter("weight_ih", [gates * hidden_size, input_size], device, dtype);
            AddParameter("weight_hh", [gates * hidden_size, hidden_size], device, dtype);
            if (bias)
            {
                AddParameter("bias_ih", [gates * hidden_size], device, dtype);
                AddParameter("bias_hh", [gates * hidden_size], device, dtype);
            }
        }
        reset_parameters();
    }

    /// <inheritdoc />
    public override string extra_repr()
    {
        var s = input_size.ToString(CultureInfo.InvariantCulture) + ", " + hidden_size.ToString(CultureInfo.InvariantCulture);
        if (!bias) s += ", bias=False";
        if (_mode == RecurrentMode.RnnRelu) s += ", nonlinearity=relu";
        return s;
    }

    /// <summary>
    /// One step: PyTorch's forward checks in PyTorch's order, unbatched handling, default zero states, then the
    /// engine. <paramref name="c"/> and the returned cell state are LSTMCell's.
    /// </summary>
    private protected (Tensor h, Tensor? c) RunCell(Tensor input, Tensor? h, Tensor? c)
    {
        ArgumentNullException.ThrowIfNull(input);
        var name = GetName();
        var lstm = _mode == RecurrentMode.Lstm;
        if (lstm) Checks.StatePair(h, c);
        Checks.Dense(input, nameof(input));
        Checks.Dense(h, "hx");
        Checks.Dense(c, "hx");
        var rank = input.dim();
        Checks.CellRank(name, rank, "input");
        if (h is not null)
        {
            if (lstm)
            {
                Checks.CellStateRank(name, 0, h.dim());
                Checks.CellStateRank(name, 1, c!.dim());
            }
            else
            {
                Checks.CellRank(name, h.dim(), "hidden");
            }
        }

        using var scope = torch.NewDisposeScope();
        var batched = rank == 2;
        if (!batched)
        {
            input = input.unsqueeze(0);
            h = h?.unsqueeze(0);
            c = c?.unsqueeze(0);
        }
        var flat = Flat;
        var w_ih = flat[0];
        Checks.CellDevice(input, w_ih);
        Checks.CellInput(input, input_size);
        if (h is not null)
        {
            Checks.CellDevice(input, h);
            Checks.CellHidden(input, h, hidden_size, label: 0, unbatched: !batched);
            if (c is not null)
            {
                Checks.CellDevice(input, c);
                Checks.CellHidden(input, c, hidden_size, label: 1, unbatched: !batched);
            }
        }
        Checks.ProductDType(input, w_ih.dtype, nameof(input));
        if (h is not null) Checks.ProductDType(h, w_ih.dtype, "hx");
        if (c is not null) Checks.ProductDType(c, w_ih.dtype, "hx");
        h ??= torch.zeros(input.size(0), hidden_size, dtype: input.dtype, device: input.device);
        if (lstm) c ??= torch.zeros(input.size(0), hidden_size, dtype: input.dtype, device: input.device);

        var (nextH, nextC) = Native is null
            ? Recurrence.Step(_mode, F.linear(input, w_ih, bias ? flat[2] : null), h, c, flat[1], bias ? flat[3] : null, w_hr: null)
            : NativeRecurrence.ForwardCell(Native, input, h, c);
        if (!batched)
        {
            nextH = nextH.squeeze(0);
            nextC = nextC?.squeeze(0);
        }
        return (nextH.MoveToOuterDisposeScope(), nextC?.MoveToOuterDisposeScope());
    }
}

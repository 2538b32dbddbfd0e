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
        Checks.Tensors(input, h, c, pair: lstm);
        var x = TensorInfo.Of(input);
        Checks.CellRank(name, x.Rank, "input");
        var hInfo = h is null ? default : TensorInfo.Of(h);
        var cInfo = c is null ? default : TensorInfo.Of(c);
        if (h is not null)
        {
            if (lstm)
            {
                Checks.CellStateRank(name, 0, hInfo.Rank);
                Checks.CellStateRank(name, 1, cInfo.Rank);
            }
            else
            {
                Checks.CellRank(name, hInfo.Rank, "hidden");
            }
        }

        // The checks see the shapes PyTorch sees after unsqueezing unbatched input; nothing is unsqueezed yet.
        var batched = x.Rank == 2;
        var inserted = batched ? -1 : 0;
        var batch = x.Size(0, inserted);
        var parameters = ParameterInfo;
        Checks.CellDevice(x, parameters);
        Checks.CellInput(x.Size(1, inserted), input_size);
        if (h is not null)
        {
            Checks.CellDevice(x, hInfo);
            Checks.CellHidden(batch, hInfo, !batched, hidden_size, label: 0);
            if (c is not null)
            {
                Checks.CellDevice(x, cInfo);
                Checks.CellHidden(batch, cInfo, !batched, hidden_size, label: 1);
            }
        }
        Checks.ProductDType(x.DType, parameters.DType, nameof(input));
        if (h is not null) Checks.ProductDType(hInfo.DType, parameters.DType, "hx");
        if (c is not null) Checks.ProductDType(cInfo.DType, parameters.DType, "hx");

        // Batched input on the native kernel, the common case, needs no dispose scope: its only temporaries are the
        // default states, disposed here.
        if (batched && Native is not null)
        {
            Tensor? zeroH = null, zeroC = null;
            try
            {
                h ??= zeroH = torch.zeros(batch, hidden_size, x.DType, ParameterDevice);
                if (lstm) c ??= zeroC = torch.zeros(batch, hidden_size, x.DType, ParameterDevice);
                return NativeRecurrence.ForwardCell(Native, input, h, c);
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
            input = input.unsqueeze(0);
            h = h?.unsqueeze(0);
            c = c?.unsqueeze(0);
        }
        h ??= torch.zeros(batch, hidden_size, x.DType, ParameterDevice);
        if (lstm) c ??= torch.zeros(batch, hidden_size, x.DType, ParameterDevice);

        var flat = Flat;
        var (nextH, nextC) = Native is null
            ? Recurrence.Step(_mode, F.linear(input, flat[0], bias ? flat[2] : null), h, c, flat[1], bias ? flat[3] : null, w_hr: null)
            : NativeRecurrence.ForwardCell(Native, input, h, c);
        if (!batched)
        {
            nextH = nextH.squeeze(0);
            nextC = nextC?.squeeze(0);
        }
        return (nextH.MoveToOuterDisposeScope(), nextC?.MoveToOuterDisposeScope());
    }
}

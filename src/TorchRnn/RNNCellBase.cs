using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn;

/// <summary>
/// What PyTorch's <c>RNNCellBase</c> holds for every single-step cell: <c>weight_ih</c> (gates * hidden, H_in),
/// <c>weight_hh</c> (gates * hidden, hidden), optional <c>bias_ih</c> and <c>bias_hh</c>, their initialisation,
/// the forward checks, unbatched handling and the repr.
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
        AddParameter("weight_ih", [gates * hidden_size, input_size], device, dtype);
        AddParameter("weight_hh", [gates * hidden_size, hidden_size], device, dtype);
        if (bias)
        {
            AddParameter("bias_ih", [gates * hidden_size], device, dtype);
            AddParameter("bias_hh", [gates * hidden_size], device, dtype);
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
    /// One step of a single-state cell (RNNCell, GRUCell): PyTorch's forward checks, unbatched handling and the
    /// default zero state.
    /// </summary>
    private protected Tensor RunCell(Tensor input, Tensor? hx)
    {
        ArgumentNullException.ThrowIfNull(input);
        var name = GetName();
        var rank = input.dim();
        Checks.CellRank(name, rank, "input");
        if (hx is not null) Checks.CellRank(name, hx.dim(), "hidden");

        using var scope = torch.NewDisposeScope();
        var batched = rank == 2;
        if (!batched) input = input.unsqueeze(0);
        var flat = Flat;
        var w_ih = flat[0];
        Checks.CellDevice(input, w_ih);
        Checks.CellInput(input, input_size);
        if (hx is not null)
        {
            if (!batched) hx = hx.unsqueeze(0);
            Checks.CellDevice(input, hx);
            Checks.CellHidden(input, hx, hidden_size, label: 0, unbatched: !batched);
        }
        Checks.ProductDType(input, w_ih.dtype, nameof(input));
        if (hx is not null) Checks.ProductDType(hx, w_ih.dtype, nameof(hx));
        hx ??= torch.zeros(input.size(0), hidden_size, dtype: input.dtype, device: input.device);

        var projection = F.linear(input, w_ih, bias ? flat[2] : null);
        var next = Recurrence.Step(_mode, projection, hx, flat[1], bias ? flat[3] : null);
        if (!batched) next = next.squeeze(0);
        return next.MoveToOuterDisposeScope();
    }
}

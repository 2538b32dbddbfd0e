using System;
using System.Collections.Generic;
using System.Globalization;
using TorchRnn.Engines;
using TorchRnn.Kinds;
using TorchRnn.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>nn.RNNCellBase</c>: what every cell module shares (RNNCell, LSTMCell, GRUCell, and any
/// <see cref="RecurrentKind"/> through <see cref="nn.RecurrentCell"/>), and the one type that holds any of them. The
/// parameters the kind declares (for the built-in kinds <c>weight_ih</c>, <c>weight_hh</c>, optional <c>bias_ih</c> and
/// <c>bias_hh</c>), their initialisation, the forward checks, unbatched handling, default states and the repr live here;
/// the subclasses add typed <c>forward</c> and <c>call</c> overloads.
/// </summary>
/// <remarks>
/// Shape key: N = batch size, H_in = <c>input_size</c>, H_out = <c>hidden_size</c>. For the built-in kinds TorchSharp's
/// native cell (LibTorch's cell function, one call a step) computes; a cell with <c>hidden_size</c> 0, which LibTorch
/// cannot initialise, and a kind of the user's run the kind's managed step.
/// </remarks>
public abstract class RNNCellBase : RecurrentModule<HiddenState>
{
    private readonly IReadOnlyList<CellParameter> _declared;
    private readonly NativeCell? _native;
    private GuardedCell? _guarded;
    private CellWeights _weights;

    private protected RNNCellBase(RecurrentKind kind, long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        : base(kind.cell_name, input_size, hidden_size, bias)
    {
        kind.CheckCellArguments(input_size, hidden_size);
        this.kind = kind;
        _declared = kind.parameters(input_size, hidden_size, bias);
        // LibTorch's cells cannot initialise an empty hidden state (1/sqrt(0)); PyTorch's can, so TorchRnn computes it.
        _native = hidden_size > 0 ? kind.CreateNativeCell(input_size, hidden_size, bias, device, dtype) : null;
        if (_native is not null)
        {
            Adopt(_native.Module);
            _guarded = new GuardedCell(_native, this);
        }
        else
        {
            foreach (var p in _declared) AddParameter(p.name, p.shape, p.init, device, dtype);
        }
        reset_parameters();
        _weights = CellWeights.OfCell(KernelParameter, _declared);
    }

    /// <summary>What the step computes: LSTM's, GRU's, RNN's, or a kind of your own (<see cref="nn.RecurrentCell"/>).</summary>
    public RecurrentKind kind { get; }

    /// <summary>The verdicts this cell reads and adds to: the process's, unless a test or the self-check gives it its own.</summary>
    internal KernelGuard Guard { get; set; } = KernelGuard.Shared;

    /// <summary>The current weights, for the kernel check's reference.</summary>
    internal CellWeights Weights => _weights;

    /// <summary>The parameters' dtype and device, for the kernel check's key.</summary>
    internal TensorInfo ParameterTensorInfo => ParameterInfo;

    /// <summary>The parameters' device index, for the kernel check's key.</summary>
    internal int ParameterDeviceIndex => ParameterDevice.index;

    /// <summary>The test seam for the kernel check: the native cell is replaced by what <paramref name="wrap"/> makes of it.</summary>
    internal void SubstituteKernel(Func<NativeCell, NativeCell> wrap)
    {
        if (_native is not null) _guarded = new GuardedCell(wrap(_native), this);
    }

    /// <summary>
    /// One managed step on batched input (N, H_in) from <paramref name="hx"/> or zeros: the kernel check's fallback,
    /// and the engine of cells with <c>hidden_size</c> 0 and of a user's kinds.
    /// </summary>
    internal HiddenState ManagedStep(Tensor input, HiddenState? hx)
    {
        using var scope = torch.NewDisposeScope();
        var state = hx ?? ZeroState([input.size(0)], hidden_size, kind.has_cell ? hidden_size : null, input.dtype);
        return kind.Prepare(_weights, input.unsqueeze(0), batchSizes: null, training).Step(0, state).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override string extra_repr()
    {
        var s = input_size.ToString(CultureInfo.InvariantCulture) + ", " + hidden_size.ToString(CultureInfo.InvariantCulture);
        if (!bias) s += ", bias=False";
        return s + kind.CellReprSuffix;
    }

    /// <summary>Computes one step, holding the state as a <see cref="HiddenState"/>.</summary>
    /// <param name="input">(N, H_in) or unbatched (H_in).</param>
    /// <param name="hx">h (N, H_out), with c (N, H_out) for an LSTMCell; unbatched without N. Zeros when null.</param>
    /// <returns>The next state, shaped like <paramref name="hx"/>.</returns>
    /// <exception cref="ArgumentException">
    /// The input or a state has the wrong rank, dtype, size, batch or device, or is disposed; or an LSTMCell's state
    /// lacks c, or another cell's has one. The message is PyTorch's where PyTorch has one.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public sealed override HiddenState forward(Tensor input, HiddenState? hx = null) => RunCell(input, hx);

    /// <summary>Runs <see cref="forward(Tensor, HiddenState?)"/> with the module's hooks, as calling the module does in PyTorch.</summary>
    /// <param name="input">(N, H_in) or unbatched (H_in).</param>
    /// <param name="hx">The state; zeros when omitted.</param>
    /// <returns>The next state.</returns>
    /// <exception cref="ArgumentException">As <see cref="forward(Tensor, HiddenState?)"/>.</exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public new HiddenState call(Tensor input, HiddenState? hx = null) => base.call(input, hx);

    /// <summary>
    /// One step: PyTorch's forward checks in PyTorch's order, unbatched handling, default zero states, then the
    /// native cell (or the managed step).
    /// </summary>
    private HiddenState RunCell(Tensor input, HiddenState? hx)
    {
        var name = GetName();
        var cell = kind.has_cell;
        CheckCall(input, hx, cell);
        var h = hx?.h;
        var c = hx?.c;
        var x = TensorInfo.Of(input);
        Checks.CellRank(name, x.Rank, "input");
        var hInfo = h is null ? default : TensorInfo.Of(h);
        var cInfo = c is null ? default : TensorInfo.Of(c);
        if (h is not null)
        {
            if (cell)
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

        // Batched input on the native cell, the common case, is one native call (LibTorch makes the zero state).
        if (batched && _guarded is not null) return _guarded.Step(input, hx);

        using var scope = torch.NewDisposeScope();
        if (!batched) input = input.unsqueeze(0);
        var state = hx is { } given
            ? batched ? given : new HiddenState(given.h.unsqueeze(0), given.c?.unsqueeze(0))
            : ZeroState([batch], hidden_size, cell ? hidden_size : null, x.DType);
        var next = _guarded is not null ? _guarded.Step(input, state) : ManagedStep(input, state);
        if (!batched) next = new HiddenState(next.h.squeeze(0), next.c?.squeeze(0));
        return next.MoveToOuterDisposeScope();
    }

    private protected override void OnParametersMoved() => _weights = CellWeights.OfCell(KernelParameter, _declared);
}

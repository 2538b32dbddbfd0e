using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>nn.RNNCellBase</c>: what RNNCell, LSTMCell and GRUCell share, and the one type that holds any of
/// them. <c>weight_ih</c> (gates * hidden, H_in), <c>weight_hh</c> (gates * hidden, hidden), optional <c>bias_ih</c>
/// and <c>bias_hh</c>, their initialisation, the forward checks, unbatched handling, default states and the repr live
/// here; the subclasses add typed <c>forward</c> and <c>call</c> overloads.
/// </summary>
/// <remarks>
/// Shape key: N = batch size, H_in = <c>input_size</c>, H_out = <c>hidden_size</c>. TorchSharp's native cell
/// (LibTorch's cell function, one call a step) computes; a cell with <c>hidden_size</c> 0, which LibTorch cannot
/// initialise, runs TorchRnn's managed step.
/// </remarks>
public abstract class RNNCellBase : RecurrentModule<HiddenState>
{
    private readonly RecurrentMode _mode;
    private readonly NativeCell? _native;
    private GuardedCell? _guarded;
    private LayerWeights _weights;

    private protected RNNCellBase(string name, RecurrentMode mode, long input_size, long hidden_size, bool bias,
        Device? device, ScalarType? dtype)
        : base(name, input_size, hidden_size, bias)
    {
        var gates = mode.GateCount();
        Checks.CellArguments(input_size, hidden_size, gates);
        _mode = mode;
        if (hidden_size > 0)
        {
            _native = NativeCell.Create(mode, input_size, hidden_size, bias, device, dtype);
            Adopt(_native.Module);
            _guarded = new GuardedCell(_native, this);
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
        _weights = LayerWeights.OfCell(this, bias);
    }

    /// <summary>RNNCell's nonlinearity, from the mode.</summary>
    private protected RecurrentMode Mode => _mode;

    /// <summary>The mode, for the kernel check's reference step.</summary>
    internal RecurrentMode RecurrentMode => _mode;

    /// <summary>The verdicts this cell reads and adds to: the process's, unless a test or the self-check gives it its own.</summary>
    internal KernelGuard Guard { get; set; } = KernelGuard.Shared;

    /// <summary>The current weights, for the kernel check's reference.</summary>
    internal LayerWeights Weights => _weights;

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
    /// and the engine of cells with <c>hidden_size</c> 0.
    /// </summary>
    internal HiddenState ManagedStep(Tensor input, HiddenState? hx)
    {
        using var scope = torch.NewDisposeScope();
        var batch = input.size(0);
        var state = hx ?? new HiddenState(
            torch.zeros(batch, hidden_size, input.dtype, ParameterDevice),
            _mode.HasCell() ? torch.zeros(batch, hidden_size, input.dtype, ParameterDevice) : null);
        return ManagedRecurrence.Prepare(_mode, _weights, input.unsqueeze(0), batchSizes: null).Step(0, state).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override string extra_repr()
    {
        var s = input_size.ToString(CultureInfo.InvariantCulture) + ", " + hidden_size.ToString(CultureInfo.InvariantCulture);
        if (!bias) s += ", bias=False";
        if (_mode == RecurrentMode.RnnRelu) s += ", nonlinearity=relu";
        return s;
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

    /// <summary>h as a state (typed overloads of RNNCell and GRUCell).</summary>
    private protected static HiddenState? State(Tensor? h) => h is null ? null : new HiddenState?(new HiddenState(h));

    /// <summary>(h, c) as a state (typed overloads of LSTMCell), refusing a pair with one null.</summary>
    private protected static HiddenState? State((Tensor h, Tensor c)? hx)
    {
        if (hx is not { } pair) return null;
        Checks.StatePair(pair.h, pair.c);
        return new HiddenState(pair.h, pair.c);
    }

    /// <summary>
    /// One step: PyTorch's forward checks in PyTorch's order, unbatched handling, default zero states, then the
    /// native cell (or the managed step).
    /// </summary>
    private HiddenState RunCell(Tensor input, HiddenState? hx)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(input);
        var name = GetName();
        var lstm = _mode.HasCell();
        Checks.Tensors(input, hx, lstm);
        var h = hx?.h;
        var c = hx?.c;
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

        // Batched input on the native cell, the common case, is one native call (LibTorch makes the zero state).
        if (batched && _guarded is not null) return _guarded.Step(input, hx);

        using var scope = torch.NewDisposeScope();
        if (!batched) input = input.unsqueeze(0);
        var state = new HiddenState(
            h is null ? torch.zeros(batch, hidden_size, x.DType, ParameterDevice) : batched ? h : h.unsqueeze(0),
            !lstm ? null : c is null ? torch.zeros(batch, hidden_size, x.DType, ParameterDevice) : batched ? c : c.unsqueeze(0));
        var next = _guarded is not null ? _guarded.Step(input, state) : ManagedStep(input, state);
        if (!batched) next = new HiddenState(next.h.squeeze(0), next.c?.squeeze(0));
        return next.MoveToOuterDisposeScope();
    }

    private protected override void OnParametersMoved() => _weights = LayerWeights.OfCell(this, bias);
}

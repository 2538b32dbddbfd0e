using System;
using System.Collections.Generic;
using TorchRnn.Engines;
using TorchRnn.Kinds;
using TorchRnn.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// What every TorchRnn module shares, cells and sequence modules alike: the sizes, the parameters registered under
/// PyTorch's names on the module itself, PyTorch's initialisation, the native module that owns them, moving and
/// disposal, and PyTorch's repr.
/// </summary>
/// <typeparam name="TResult">What <c>forward</c> returns.</typeparam>
/// <remarks>
/// Where TorchSharp has a native module that computes what PyTorch computes, that module owns the parameters: they
/// are the very tensors registered here, so optimisers, <c>state_dict</c> and <c>load_state_dict</c> act on what it
/// computes with. It is not a child module, so keys carry no extra level. Elsewhere (LSTM with <c>proj_size</c>, cells
/// with <c>hidden_size</c> 0) the parameters are plain tensors registered here.
/// </remarks>
public abstract class RecurrentModule<TResult> : torch.nn.Module<Tensor, HiddenState?, TResult>, IExtraRepr
{
    private readonly List<string> _names = new();
    private readonly List<ParameterInit> _inits = new();
    private Parameter[] _flat = Array.Empty<Parameter>();
    // Where a weight is dropped (WeightDrop), the parameter registered in its place: name + "_raw"; else null.
    private Parameter?[] _raw = Array.Empty<Parameter?>();
    private torch.nn.Module? _owner;
    private bool _disposed;

    private protected RecurrentModule(string name, long input_size, long hidden_size, bool bias)
        : base(name)
    {
        this.input_size = input_size;
        this.hidden_size = hidden_size;
        this.bias = bias;
    }

    /// <summary>The number of expected features in the input x (H_in).</summary>
    public long input_size { get; }

    /// <summary>The number of features in the hidden state h (of the cell state c, for an LSTM with projections).</summary>
    public long hidden_size { get; }

    /// <summary>Whether the module uses the biases <c>b_ih</c> and <c>b_hh</c>.</summary>
    public bool bias { get; }

    /// <summary>The parameters' dtype and device (all share them), kept current across <c>to()</c>, so that forward's
    /// checks need no native query of the weights.</summary>
    private protected TensorInfo ParameterInfo { get; private set; }

    /// <summary>The parameters' device, for the default states (which must be on the input's, the same one).</summary>
    private protected Device ParameterDevice { get; private set; } = torch.CPU;

    /// <summary>Creates an uninitialised parameter and registers it under its name (no native owner).</summary>
    private protected void AddParameter(string name, long[] shape, ParameterInit init, Device? device, ScalarType? dtype)
        => Register(name, new Parameter(torch.empty(shape, dtype: dtype, device: device)), init);

    /// <summary>
    /// Makes a native module the owner of the parameters and registers its parameters, whose names and order are
    /// PyTorch's. (Its constructor drew its own weights; <see cref="reset_parameters"/> then makes PyTorch's draws.)
    /// </summary>
    private protected void Adopt(torch.nn.Module owner)
    {
        _owner = owner;
        foreach (var (name, p) in owner.named_parameters()) Register(name, p, ParameterInit.Uniform);
    }

    private void Register(string name, Parameter p, ParameterInit init)
    {
        // A module may be built inside a caller's dispose scope; its parameters must outlive that scope.
        p.DetachFromDisposeScope();
        LargePages.Place(p);
        base.register_parameter(name, p);
        _names.Add(name);
        _inits.Add(init);
        _flat = [.. _flat, p]; // a handful per module, once, at construction
        _raw = [.. _raw, null];
        if (_flat.Length == 1) CacheParameterInfo();
    }

    private void CacheParameterInfo()
    {
        ParameterInfo = TensorInfo.DTypeAndDevice(_flat[0]);
        ParameterDevice = _flat[0].device;
    }

    /// <summary>
    /// Draws every parameter again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in PyTorch's order and in the
    /// parameters' own dtype and device, from TorchSharp's global generators, so that after <c>torch.manual_seed(s)</c>
    /// the values, and every later random draw, equal PyTorch's. Parameters a kind declares as
    /// <see cref="ParameterInit.Ones"/> or <see cref="ParameterInit.Zeros"/> (a layer norm's) are set without a draw.
    /// </summary>
    public void reset_parameters()
    {
        var stdv = hidden_size > 0 ? 1.0 / Math.Sqrt(hidden_size) : 0.0;
        using var noGrad = torch.no_grad();
        for (var i = 0; i < _flat.Length; i++)
        {
            // A dropped weight's values live in its raw parameter (the kernel's copy is rewritten every forward).
            var target = _raw[i] ?? _flat[i];
            _ = _inits[i] switch
            {
                ParameterInit.Ones => target.fill_(1),
                ParameterInit.Zeros => target.fill_(0),
                _ => torch.nn.init.uniform_(target, -stdv, stdv),
            };
        }
    }

    /// <summary>The suffix of a dropped weight's raw parameter: <c>weight_hh_l0_raw</c>, as awd-lstm-lm names it.</summary>
    internal const string RawSuffix = "_raw";

    /// <summary>The tensor the kernels compute with under <paramref name="name"/>, registered or not (a dropped weight's); null if none.</summary>
    internal Parameter? KernelParameter(string name)
    {
        var i = _names.IndexOf(name);
        return i < 0 ? null : _flat[i];
    }

    /// <summary>Every tensor the kernels compute with, by its PyTorch name, registered or not (a dropped weight's).</summary>
    internal IEnumerable<(string name, Parameter parameter)> KernelParameters()
    {
        for (var i = 0; i < _flat.Length; i++) yield return (_names[i], _flat[i]);
    }

    /// <summary>Whether <paramref name="name"/> is a weight that <see cref="DetachKernelParameter"/> has replaced.</summary>
    internal bool IsDropped(string name)
    {
        var i = _names.IndexOf(name);
        return i >= 0 && _raw[i] is not null;
    }

    /// <summary>
    /// Replaces the registered <paramref name="name"/> by <paramref name="name"/>_raw, a parameter holding its values
    /// (last in <c>parameters()</c>, as awd-lstm-lm's WeightDrop registers it), and keeps the kernels' tensor as an
    /// unregistered buffer without gradient, which <c>WeightDrop</c> overwrites from the raw one before every forward.
    /// </summary>
    /// <returns>The raw parameter.</returns>
    internal Parameter DetachKernelParameter(string name)
    {
        var i = _names.IndexOf(name);
        if (i < 0) throw new ArgumentException($"{GetName()} has no parameter {name}.", nameof(name));
        if (_raw[i] is { } existing) return existing;
        var raw = new Parameter(_flat[i].detach().clone(), requires_grad: _flat[i].requires_grad);
        raw.DetachFromDisposeScope();
        ConditionallyRegisterParameter(name, null);
        base.register_parameter(name + RawSuffix, raw);
        _flat[i].requires_grad_(false);
        _raw[i] = raw;
        return raw;
    }

    /// <summary>
    /// What every forward checks first, dense, packed or one step: the module is alive, the input is given, and the
    /// state has the tensors the kind's state has (h, and c when <paramref name="hasCell"/>), alive and dense.
    /// </summary>
    private protected void CheckCall(Tensor input, HiddenState? hx, bool hasCell)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(input);
        Checks.Tensors(input, hx, hasCell);
    }

    /// <summary>Zeros for the state's h (<paramref name="leading"/>, <paramref name="hSize"/>), with c when <paramref name="cSize"/> is given.</summary>
    private protected HiddenState ZeroState(long[] leading, long hSize, long? cSize, ScalarType dtype)
        => new(torch.zeros([.. leading, hSize], dtype, ParameterDevice), cSize is { } c ? torch.zeros([.. leading, c], dtype, ParameterDevice) : null);

    /// <summary>h as a state (the typed overloads of modules whose state is h alone).</summary>
    private protected static HiddenState? State(Tensor? h) => h is null ? null : new HiddenState?(new HiddenState(h));

    /// <summary>(h, c) as a state (the typed overloads of LSTM and LSTMCell), refusing a pair with one null.</summary>
    private protected static HiddenState? State((Tensor h, Tensor c)? hx)
    {
        if (hx is not { } pair) return null;
        Checks.StatePair(pair.h, pair.c);
        return new HiddenState(pair.h, pair.c);
    }

    /// <summary>The options that differ from their defaults, as PyTorch's <c>extra_repr</c> lists them.</summary>
    /// <returns>For example <c>5, 6, num_layers=2</c>.</returns>
    public abstract string extra_repr();

    /// <summary>PyTorch's repr of the module, for example <c>RNN(5, 6, num_layers=2)</c> or <c>RNNCell(3, 2)</c>.</summary>
    /// <returns>What <see cref="Py.repr(object?)"/> prints for the module: its type name, then <see cref="extra_repr"/> in parentheses.</returns>
    public override string ToString() => Py.repr(this);

    /// <summary>The repr, made once: it shows only the options, which never change (the kernel check's key names it).</summary>
    internal string Repr => _repr ??= ToString();

    private string? _repr;

    /// <inheritdoc />
    public override void train(bool train = true)
    {
        base.train(train);
        _owner?.train(train);
    }

    /// <summary>
    /// Registers a parameter under a new name. The recurrent weights themselves cannot be replaced: the native
    /// kernels keep their own references to them; copy new values in place instead (<c>p.copy_(value)</c> under
    /// <c>torch.no_grad()</c>), as <c>load_state_dict</c> does.
    /// </summary>
    /// <param name="name">The parameter's name.</param>
    /// <param name="param">The parameter.</param>
    /// <exception cref="NotSupportedException"><paramref name="name"/> is one of the module's recurrent weights.</exception>
    public override void register_parameter(string name, Parameter param)
    {
        if (_names.Contains(name))
            throw new NotSupportedException(
                $"{GetName()}'s {name} cannot be replaced: its kernels keep their own reference to it. Copy new values into it in place instead.");
        base.register_parameter(name, param);
    }

    // Moving or converting: a native owner moves its own parameters; otherwise TorchSharp's base does.
    /// <inheritdoc />
    protected override torch.nn.Module _to(Device device, ScalarType dtype, bool non_blocking)
        => Moved(_owner is null ? base._to(device, dtype, non_blocking) : _owner.to(device, dtype, non_blocking));

    /// <inheritdoc />
    protected override torch.nn.Module _to(DeviceType deviceType, int deviceIndex, bool non_blocking)
        => Moved(_owner is null ? base._to(deviceType, deviceIndex, non_blocking) : _owner.to(deviceType, deviceIndex, non_blocking));

    /// <inheritdoc />
    protected override torch.nn.Module _to(ScalarType dtype, bool non_blocking)
        => Moved(_owner is null ? base._to(dtype, non_blocking) : _owner.to(dtype, non_blocking));

    // Moving may put new Parameter objects under the same names (TorchSharp's base class does, and a native module's
    // wrapper may): register and read the current ones, then let the subclass rebuild what it derived from them.
    private RecurrentModule<TResult> Moved(torch.nn.Module _)
    {
        for (var i = 0; i < _flat.Length; i++)
        {
            var name = _names[i];
            if (_raw[i] is { } raw)
            {
                MovedRaw(i, raw);
                continue;
            }
            var current = _owner is null ? get_parameter(name) : _owner.get_parameter(name);
            _flat[i] = current ?? throw new InvalidOperationException($"Parameter {name} was removed.");
            // Back on the CPU (or converted there): new tensors, placed as at construction.
            LargePages.Place(_flat[i]);
            if (_owner is not null) ConditionallyRegisterParameter(name, _flat[i]);
        }
        if (_flat.Length > 0) CacheParameterInfo();
        OnParametersMoved();
        return this;
    }

    // A dropped weight: TorchSharp's base moved the registered raw parameter but not the unregistered kernel tensor; a
    // native owner moved its kernel tensor but not the raw one. Each follows the one that moved.
    private void MovedRaw(int i, Parameter raw)
    {
        var name = _names[i];
        if (_owner is null)
        {
            var movedRaw = get_parameter(name + RawSuffix) ?? throw new InvalidOperationException($"Parameter {name}{RawSuffix} was removed.");
            _raw[i] = movedRaw;
            _flat[i] = new Parameter(_flat[i].detach().to(movedRaw.dtype, movedRaw.device), requires_grad: false);
            _flat[i].DetachFromDisposeScope();
            return;
        }
        var kernel = _owner.get_parameter(name) ?? throw new InvalidOperationException($"Parameter {name} was removed.");
        kernel.requires_grad_(false);
        _flat[i] = kernel;
        if (raw.dtype != kernel.dtype || raw.device.type != kernel.device.type || raw.device.index != kernel.device.index)
        {
            var movedRaw = new Parameter(raw.detach().to(kernel.dtype, kernel.device), requires_grad: raw.requires_grad);
            movedRaw.DetachFromDisposeScope();
            ConditionallyRegisterParameter(name + RawSuffix, movedRaw);
            _raw[i] = movedRaw;
        }
    }

    /// <summary>Called after <c>to()</c> has moved or converted the parameters (new tensors may stand under the same names).</summary>
    private protected virtual void OnParametersMoved()
    {
    }

    /// <summary>
    /// Does nothing: the parameters are registered under PyTorch's names at construction, and the native owner is
    /// deliberately not a child (TorchSharp would otherwise add it when a user's model registers its components,
    /// giving keys such as <c>rnn._native.weight_ih_l0</c>).
    /// </summary>
    protected override void RegisterComponents()
    {
    }

    /// <summary>Refuses a call on a disposed module with a message that names it.</summary>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    private protected void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(GetName(), $"This {GetName()} has been disposed; its parameters are freed.");
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            DisposeEngines();
            _owner?.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Frees whatever the subclass built beside the parameters' owner (other native modules).</summary>
    private protected virtual void DisposeEngines()
    {
    }
}

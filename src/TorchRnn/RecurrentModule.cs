using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// What every TorchRnn module shares, cells and sequence modules alike: the sizes, the parameters registered under
/// PyTorch's names on the module itself, PyTorch's initialisation, the engine that computes, and PyTorch's repr.
/// </summary>
/// <typeparam name="THx">The initial state argument of <c>forward</c>.</typeparam>
/// <typeparam name="TResult">What <c>forward</c> returns.</typeparam>
/// <remarks>
/// Where TorchSharp has a native module that computes what PyTorch computes, that module is the engine: its
/// parameters are the very tensors registered here, so optimisers, <c>state_dict</c> and <c>load_state_dict</c>
/// act on what it computes with. It is not a child module, so keys carry no extra level. Elsewhere the
/// parameters are plain tensors and the managed recurrence in <see cref="Recurrence"/> computes.
/// </remarks>
public abstract class RecurrentModule<THx, TResult> : torch.nn.Module<Tensor, THx, TResult>
{
    private readonly List<string> _names = new();
    private Parameter[] _flat = Array.Empty<Parameter>();
    private torch.nn.Module? _native;

    private protected RecurrentModule(string name, long input_size, long hidden_size, bool bias)
        : base(name)
    {
        this.input_size = input_size;
        this.hidden_size = hidden_size;
        this.bias = bias;
    }

    /// <summary>The number of expected features in the input x (H_in).</summary>
    public long input_size { get; }

    /// <summary>The number of features in the hidden state h.</summary>
    public long hidden_size { get; }

    /// <summary>Whether the module uses the biases <c>b_ih</c> and <c>b_hh</c>.</summary>
    public bool bias { get; }

    /// <summary>The parameters in PyTorch's order, as forward reads them (kept current across <c>to()</c>).</summary>
    private protected Parameter[] Flat => _flat;

    /// <summary>The parameters' dtype and device (all share them), kept current across <c>to()</c>, so that forward's
    /// checks need no native query of the weights.</summary>
    private protected TensorInfo ParameterInfo { get; private set; }

    /// <summary>The parameters' device, for the default states (which must be on the input's, the same one).</summary>
    private protected Device ParameterDevice { get; private set; } = torch.CPU;

    /// <summary>The native module that computes, or null where the managed recurrence does.</summary>
    private protected torch.nn.Module? Native => _native;

    /// <summary>Creates an uninitialised parameter and registers it under PyTorch's name (managed engine).</summary>
    private protected void AddParameter(string name, long[] shape, Device? device, ScalarType? dtype)
        => Register(name, new Parameter(torch.empty(shape, dtype: dtype, device: device)));

    /// <summary>
    /// Makes <paramref name="create"/>'s native module the engine and registers its parameters, whose names and order
    /// are PyTorch's. The native constructor draws its own weights (in float32, then converted); the generator is
    /// put back as it was, so that <see cref="reset_parameters"/> makes exactly PyTorch's draws.
    /// </summary>
    private protected void AdoptNative(Func<torch.nn.Module> create)
    {
        var state = torch.get_rng_state();
        try
        {
            _native = create();
        }
        finally
        {
            torch.set_rng_state(state);
            state.Dispose();
        }
        foreach (var (name, p) in _native.named_parameters()) Register(name, p);
    }

    private void Register(string name, Parameter p)
    {
        // A module may be built inside a caller's dispose scope; its parameters must outlive that scope.
        p.DetachFromDisposeScope();
        base.register_parameter(name, p);
        _names.Add(name);
        _flat = [.. _flat, p]; // a handful per module, once, at construction
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
    /// the values, and every later random draw, equal PyTorch's.
    /// </summary>
    public void reset_parameters()
    {
        var stdv = hidden_size > 0 ? 1.0 / Math.Sqrt(hidden_size) : 0.0;
        using var noGrad = torch.no_grad();
        foreach (var p in _flat) torch.nn.init.uniform_(p, -stdv, stdv);
    }

    /// <summary>The options that differ from their defaults, as PyTorch's <c>extra_repr</c> lists them.</summary>
    /// <returns>For example <c>5, 6, num_layers=2</c>.</returns>
    public abstract string extra_repr();

    /// <summary>PyTorch's repr of the module, for example <c>RNN(5, 6, num_layers=2)</c> or <c>RNNCell(3, 2)</c>.</summary>
    /// <returns>The module's name followed by <see cref="extra_repr"/> in parentheses.</returns>
    public override string ToString() => $"{GetName()}({extra_repr()})";

    /// <inheritdoc />
    public override void train(bool train = true)
    {
        base.train(train);
        _native?.train(train); // dropout between layers is the engine's
    }

    /// <summary>Registers a parameter; replacing one of the recurrent weights is supported by the managed engine only.</summary>
    /// <param name="name">The parameter's name.</param>
    /// <param name="param">The parameter.</param>
    /// <exception cref="NotSupportedException">
    /// A recurrent weight of a module computed by TorchSharp's native kernels would be replaced: the kernel keeps its
    /// own tensor. Copy new values in place instead (<c>p.copy_(value)</c> under <c>torch.no_grad()</c>).
    /// </exception>
    public override void register_parameter(string name, Parameter param)
    {
        if (_native is not null && _names.Contains(name))
            throw new NotSupportedException(
                $"{GetName()} computes with TorchSharp's native kernel, which keeps its own {name}; copy new values into it in place instead.");
        base.register_parameter(name, param);
        Refresh();
    }

    // Moving or converting: the native engine moves its own parameters in place; otherwise TorchSharp's base does.
    /// <inheritdoc />
    protected override torch.nn.Module _to(Device device, ScalarType dtype, bool non_blocking)
        => Moved(_native is null ? base._to(device, dtype, non_blocking) : _native.to(device, dtype, non_blocking));

    /// <inheritdoc />
    protected override torch.nn.Module _to(DeviceType deviceType, int deviceIndex, bool non_blocking)
        => Moved(_native is null ? base._to(deviceType, deviceIndex, non_blocking) : _native.to(deviceType, deviceIndex, non_blocking));

    /// <inheritdoc />
    protected override torch.nn.Module _to(ScalarType dtype, bool non_blocking)
        => Moved(_native is null ? base._to(dtype, non_blocking) : _native.to(dtype, non_blocking));

    private RecurrentModule<THx, TResult> Moved(torch.nn.Module _)
    {
        Refresh();
        return this;
    }

    /// <summary>
    /// Does nothing: the parameters are registered under PyTorch's names at construction, and the native engine is
    /// deliberately not a child (TorchSharp would otherwise add it when a user's model registers its components,
    /// giving keys such as <c>rnn._native.weight_ih_l0</c>).
    /// </summary>
    protected override void RegisterComponents()
    {
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _native?.Dispose();
        base.Dispose(disposing);
    }

    // Moving a module may put new Parameter objects under the same names (the managed engine's base class does, and a
    // native module's wrapper may): register and read the current ones.
    private void Refresh()
    {
        for (var i = 0; i < _flat.Length; i++)
        {
            var name = _names[i];
            var current = _native is null ? get_parameter(name) : _native.get_parameter(name);
            _flat[i] = current ?? throw new InvalidOperationException($"Parameter {name} was removed.");
            if (_native is not null) ConditionallyRegisterParameter(name, _flat[i]);
        }
        if (_flat.Length > 0) CacheParameterInfo();
    }
}

using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// What every TorchRnn module shares, cells and sequence modules alike: the sizes, the parameters registered under
/// PyTorch's names on the module itself, PyTorch's initialisation, and PyTorch's repr.
/// </summary>
/// <typeparam name="THx">The initial state argument of <c>forward</c>.</typeparam>
/// <typeparam name="TResult">What <c>forward</c> returns.</typeparam>
public abstract class RecurrentModule<THx, TResult> : torch.nn.Module<Tensor, THx, TResult>
{
    private readonly List<string> _names = new();
    private readonly List<Parameter> _ordered = new();
    private Parameter[] _flat = Array.Empty<Parameter>();

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

    /// <summary>Creates an uninitialised parameter and registers it under PyTorch's name.</summary>
    private protected void AddParameter(string name, long[] shape, Device? device, ScalarType? dtype)
    {
        var p = new Parameter(torch.empty(shape, dtype: dtype, device: device));
        register_parameter(name, p);
        _names.Add(name);
        _ordered.Add(p);
        _flat = _ordered.ToArray();
    }

    /// <summary>
    /// Draws every parameter again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in PyTorch's order and in the
    /// parameters' own dtype, from TorchSharp's global generator, so that after <c>torch.manual_seed(s)</c> the
    /// values, and every later random draw, equal PyTorch's.
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
    public override void register_parameter(string name, Parameter param)
    {
        base.register_parameter(name, param);
        Refresh();
    }

    /// <inheritdoc />
    protected override torch.nn.Module _to(Device device, ScalarType dtype, bool non_blocking)
    {
        var result = base._to(device, dtype, non_blocking);
        Refresh();
        return result;
    }

    /// <inheritdoc />
    protected override torch.nn.Module _to(DeviceType deviceType, int deviceIndex, bool non_blocking)
    {
        var result = base._to(deviceType, deviceIndex, non_blocking);
        Refresh();
        return result;
    }

    /// <inheritdoc />
    protected override torch.nn.Module _to(ScalarType dtype, bool non_blocking)
    {
        var result = base._to(dtype, non_blocking);
        Refresh();
        return result;
    }

    // Moving or converting a module registers new Parameter objects under the same names; forward must see those.
    private void Refresh()
    {
        for (var i = 0; i < _flat.Length; i++)
            _flat[i] = get_parameter(_names[i]) ?? throw new InvalidOperationException($"Parameter {_names[i]} was removed.");
    }
}

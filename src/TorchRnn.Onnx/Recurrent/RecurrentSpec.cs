using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Recurrent;

/// <summary>The recurrence a module computes (PyTorch's <c>mode</c>).</summary>
internal enum Mode
{
    RnnTanh,
    RnnRelu,
    Lstm,
    Gru,
}

/// <summary>
/// A TorchRnn module as the exporter sees it, read through its public surface only: the options and the parameters
/// under PyTorch's names (<c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>, <c>weight_hr_l0</c>; cells <c>weight_ih</c>).
/// </summary>
internal sealed class RecurrentSpec
{
    private readonly Dictionary<string, Tensor> _parameters;

    private RecurrentSpec(torch.nn.Module module, Mode mode, long inputSize, long hiddenSize, long numLayers, bool bias,
        bool batchFirst, bool bidirectional, long projSize, bool cell)
    {
        Module = module;
        Mode = mode;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Bidirectional = bidirectional;
        ProjSize = projSize;
        IsCell = cell;
        _parameters = module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        DType = _parameters.Values.First().dtype;
    }

    public torch.nn.Module Module { get; }

    public Mode Mode { get; }

    public long InputSize { get; }

    public long HiddenSize { get; }

    public long NumLayers { get; }

    public bool Bias { get; }

    public bool BatchFirst { get; }

    public bool Bidirectional { get; }

    public long ProjSize { get; }

    public bool IsCell { get; }

    public ScalarType DType { get; }

    public long Directions => Bidirectional ? 2 : 1;

    /// <summary>H_out: the size of h (proj_size when projecting).</summary>
    public long OutputSize => ProjSize > 0 ? ProjSize : HiddenSize;

    public long Gates => Mode switch
    {
        Mode.Lstm => 4,
        Mode.Gru => 3,
        _ => 1,
    };

    public static RecurrentSpec Of(RNN m)
        => new(m, m.nonlinearity == "relu" ? Mode.RnnRelu : Mode.RnnTanh, m.input_size, m.hidden_size, m.num_layers, m.bias,
            m.batch_first, m.bidirectional, 0, cell: false);

    public static RecurrentSpec Of(GRU m)
        => new(m, Mode.Gru, m.input_size, m.hidden_size, m.num_layers, m.bias, m.batch_first, m.bidirectional, 0, cell: false);

    public static RecurrentSpec Of(LSTM m)
        => new(m, Mode.Lstm, m.input_size, m.hidden_size, m.num_layers, m.bias, m.batch_first, m.bidirectional, m.proj_size, cell: false);

    public static RecurrentSpec Of(RNNCell m)
        => new(m, m.nonlinearity == "relu" ? Mode.RnnRelu : Mode.RnnTanh, m.input_size, m.hidden_size, 1, m.bias, false, false, 0, cell: true);

    public static RecurrentSpec Of(GRUCell m) => new(m, Mode.Gru, m.input_size, m.hidden_size, 1, m.bias, false, false, 0, cell: true);

    public static RecurrentSpec Of(LSTMCell m) => new(m, Mode.Lstm, m.input_size, m.hidden_size, 1, m.bias, false, false, 0, cell: true);

    /// <summary>A parameter by kind (<c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>, <c>weight_hr</c>),
    /// layer and direction, or null when the module has none (no bias, no projection).</summary>
    public Tensor? Parameter(string kind, long layer, bool reverse)
    {
        var name = IsCell ? kind : $"{kind}_l{layer}{(reverse ? "_reverse" : "")}";
        return _parameters.TryGetValue(name, out var p) ? p : null;
    }

    public Tensor Required(string kind, long layer, bool reverse)
        => Parameter(kind, layer, reverse)
           ?? throw new InvalidOperationException($"{Module.GetName()} has no parameter {kind} for layer {layer}.");
}

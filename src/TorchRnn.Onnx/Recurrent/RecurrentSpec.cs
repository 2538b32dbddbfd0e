using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Kinds;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Recurrent;

/// <summary>
/// A TorchRnn module as the exporter sees it: its kind, its options, and its parameters under PyTorch's names
/// (<c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>, <c>weight_hr_l0</c>; cells <c>weight_ih</c>), whole and per
/// layer-direction.
/// </summary>
internal sealed class RecurrentSpec
{
    private readonly Dictionary<string, Tensor> _parameters;
    private readonly CellWeights[] _weights;

    private RecurrentSpec(torch.nn.Module module, RecurrentKind kind, long inputSize, long hiddenSize, long numLayers, bool bias,
        bool batchFirst, bool bidirectional, long projSize, bool cell, CellWeights[] weights,
        IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> kernelParameters)
    {
        Module = module;
        Kind = kind;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Bidirectional = bidirectional;
        ProjSize = projSize;
        IsCell = cell;
        _weights = weights;
        // The kernels' tensors, not named_parameters(): a weight WeightDrop drops is registered as name_raw instead.
        _parameters = kernelParameters.ToDictionary(p => p.name, p => (Tensor)p.parameter);
        DType = _parameters.Values.First().dtype;
    }

    public torch.nn.Module Module { get; }

    public RecurrentKind Kind { get; }

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

    /// <summary>The input size of layer <paramref name="layer"/>: H_in for the first, D * H_out above.</summary>
    public long LayerInputSize(long layer) => layer == 0 ? InputSize : OutputSize * Directions;

    public static RecurrentSpec Of(RNNBase m)
        => new(m, m.kind, m.input_size, m.hidden_size, m.num_layers, m.bias, m.batch_first, m.bidirectional, m.proj_size, cell: false, m.Weights, m.KernelParameters());

    public static RecurrentSpec Of(RNNCellBase m)
        => new(m, m.kind, m.input_size, m.hidden_size, 1, m.bias, false, false, 0, cell: true, [m.Weights], m.KernelParameters());

    /// <summary>One layer-direction's parameters by the kind's names.</summary>
    public CellWeights Weights(long layer, bool reverse) => _weights[layer * Directions + (reverse ? 1 : 0)];

    /// <summary>A parameter by kind (<c>weight_ih</c>, <c>bias_hh</c>, <c>weight_ci</c>, ...), layer and direction, or null
    /// when the module has none (no bias, no projection).</summary>
    public Tensor? Parameter(string kind, long layer, bool reverse)
    {
        var name = IsCell ? kind : $"{kind}_l{layer}{(reverse ? "_reverse" : "")}";
        return _parameters.TryGetValue(name, out var p) ? p : null;
    }

    public Tensor Required(string kind, long layer, bool reverse)
        => Parameter(kind, layer, reverse)
           ?? throw new InvalidOperationException($"{Module.GetName()} has no parameter {kind} for layer {layer}.");
}

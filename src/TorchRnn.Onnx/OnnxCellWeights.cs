using System.Collections.Generic;
using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn.Onnx;

/// <summary>
/// One layer-direction's parameters as graph constants, by the names the kind declared (<see cref="CellWeights"/> on
/// <see cref="OnnxTensor"/>). Each is written once, on first use, and the <c>Scan</c> body refers to it by name.
/// </summary>
public sealed class OnnxCellWeights
{
    private readonly OnnxGraph _graph;
    private readonly CellWeights _weights;
    private readonly Dictionary<string, string> _names;
    private readonly string _suffix;

    internal OnnxCellWeights(OnnxGraph graph, CellWeights weights, string suffix, Dictionary<string, string> names)
    {
        _graph = graph;
        _weights = weights;
        _suffix = suffix;
        _names = names;
    }

    /// <summary>The parameter declared under <paramref name="name"/>.</summary>
    /// <param name="name">The name the kind declared, for example <c>weight_hh</c>.</param>
    /// <returns>The parameter as a constant of the graph.</returns>
    /// <exception cref="KeyNotFoundException">The kind declared no such parameter.</exception>
    public OnnxTensor this[string name] => Value(name, _weights[name]);

    /// <summary>The parameter declared under <paramref name="name"/>, or null when there is none (a bias with <c>bias=False</c>).</summary>
    /// <param name="name">The name the kind declared.</param>
    /// <returns>The parameter as a constant of the graph, or null.</returns>
    public OnnxTensor? get(string name) => _weights.get(name) is { } p ? Value(name, p) : null;

    /// <summary>The same constants for another graph (a Scan body, which refers to the outer graph's by name).</summary>
    internal OnnxCellWeights In(OnnxGraph graph) => new(graph, _weights, _suffix, _names);

    private OnnxTensor Value(string name, Tensor p)
    {
        if (!_names.TryGetValue(name, out var written))
        {
            using var detached = p.detach();
            written = _names[name] = _graph.Root.Writer.Initializer(name + _suffix, detached);
        }
        return new OnnxTensor(_graph, written, _graph.Keep(p.detach()));
    }
}

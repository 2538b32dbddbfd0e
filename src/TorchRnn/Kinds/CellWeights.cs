using System;
using System.Collections.Generic;
using TorchRnn.Engines;
using TorchSharp;
using TorchSharp.Modules;

namespace TorchRnn.Kinds;

/// <summary>
/// One layer-direction's parameters (or a cell's), by the names its <see cref="RecurrentKind"/> declared, without the
/// layer suffix: <c>weights["weight_ih"]</c> is <c>weight_ih_l1_reverse</c> in layer 1's reverse direction. They are
/// the module's own tensors, so gradients reach them.
/// </summary>
public sealed class CellWeights
{
    private readonly Dictionary<string, Parameter> _byName;

    private CellWeights(Dictionary<string, Parameter> byName) => _byName = byName;

    /// <summary>The parameter declared under <paramref name="name"/>.</summary>
    /// <param name="name">The name the kind declared, for example <c>weight_hh</c>.</param>
    /// <returns>The module's parameter.</returns>
    /// <exception cref="KeyNotFoundException">The kind declared no such parameter (or not with this <c>bias</c>).</exception>
    public Parameter this[string name]
        => _byName.TryGetValue(name, out var p) ? p : throw new KeyNotFoundException($"This layer has no parameter {name}.");

    /// <summary>The parameter declared under <paramref name="name"/>, or null when there is none (a bias with <c>bias=False</c>).</summary>
    /// <param name="name">The name the kind declared.</param>
    /// <returns>The module's parameter, or null.</returns>
    public Parameter? get(string name) => _byName.TryGetValue(name, out var p) ? p : null;

    /// <summary>The names, in the kind's order.</summary>
    public IEnumerable<string> names => _byName.Keys;

    internal Parameter w_ih => this["weight_ih"];

    internal Parameter w_hh => this["weight_hh"];

    internal Parameter? b_ih => get("bias_ih");

    internal Parameter? b_hh => get("bias_hh");

    internal Parameter? w_hr => get("weight_hr");

    /// <summary>The suffix of layer <paramref name="layer"/>'s parameters in <paramref name="direction"/>: <c>_l1_reverse</c>.</summary>
    internal static string Suffix(long layer, long direction) => $"_l{layer}{(direction == 1 ? "_reverse" : "")}";

    /// <summary>Every layer-direction of a sequence module, in PyTorch's order (layer, then direction).</summary>
    /// <remarks><paramref name="parameter"/> looks a tensor up by its full name: the kernels' own, registered or (a weight
    /// WeightDrop drops) not.</remarks>
    internal static CellWeights[] Of(Func<string, Parameter?> parameter, SequenceOptions o)
    {
        var all = new CellWeights[o.States];
        for (var layer = 0; layer < o.NumLayers; layer++)
        {
            for (var direction = 0; direction < o.Directions; direction++)
                all[layer * o.Directions + direction] = Named(parameter, o.Kind.LayerParameters(o, layer), Suffix(layer, direction));
        }
        return all;
    }

    /// <summary>A cell module's parameters, named as declared.</summary>
    internal static CellWeights OfCell(Func<string, Parameter?> parameter, IEnumerable<CellParameter> declared) => Named(parameter, declared, "");

    /// <summary>Detached float64 copies, for the kernel check's reference (the caller's dispose scope frees them).</summary>
    internal CellWeights Float64()
    {
        var wide = new Dictionary<string, Parameter>(_byName.Count, StringComparer.Ordinal);
        foreach (var (name, p) in _byName) wide[name] = new Parameter(p.detach().to(torch.ScalarType.Float64), requires_grad: false);
        return new CellWeights(wide);
    }

    private static CellWeights Named(Func<string, Parameter?> parameter, IEnumerable<CellParameter> declared, string suffix)
    {
        var byName = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (var p in declared)
            byName[p.name] = parameter(p.name + suffix) ?? throw new InvalidOperationException($"No parameter {p.name}{suffix}.");
        return new CellWeights(byName);
    }
}

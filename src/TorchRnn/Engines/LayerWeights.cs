using System;
using TorchSharp;
using TorchSharp.Modules;

namespace TorchRnn;

/// <summary>
/// One layer-direction's weights, looked up by PyTorch's names (<c>weight_ih_l{k}</c>, <c>_reverse</c>, ...) as
/// PyTorch's <c>_flat_weights_names</c> does: w_ih (gates * H_cell, H_in), w_hh (gates * H_cell, H_out), the optional
/// biases (gates * H_cell) and LSTM's optional projection w_hr (H_out, H_cell).
/// </summary>
internal sealed record LayerWeights(Parameter w_ih, Parameter w_hh, Parameter? b_ih, Parameter? b_hh, Parameter? w_hr)
{
    /// <summary>The suffix of layer <paramref name="layer"/>'s parameters in <paramref name="direction"/>: <c>_l1_reverse</c>.</summary>
    public static string Suffix(long layer, long direction) => $"_l{layer}{(direction == 1 ? "_reverse" : "")}";

    /// <summary>Every layer-direction of a sequence module, in PyTorch's order (layer, then direction).</summary>
    public static LayerWeights[] Of(torch.nn.Module module, long layers, long directions, bool bias, bool projections)
    {
        var all = new LayerWeights[layers * directions];
        for (var layer = 0; layer < layers; layer++)
        {
            for (var direction = 0; direction < directions; direction++)
                all[layer * directions + direction] = Named(module, Suffix(layer, direction), bias, projections);
        }
        return all;
    }

    /// <summary>A cell's weights: <c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>.</summary>
    public static LayerWeights OfCell(torch.nn.Module module, bool bias) => Named(module, "", bias, projections: false);

    /// <summary>Detached float64 copies, for the kernel check's reference (the caller's dispose scope frees them).</summary>
    public LayerWeights Float64() => new(Wide(w_ih)!, Wide(w_hh)!, Wide(b_ih), Wide(b_hh), Wide(w_hr));

    private static Parameter? Wide(Parameter? p)
        => p is null ? null : new Parameter(p.detach().to(torch.ScalarType.Float64), requires_grad: false);

    private static LayerWeights Named(torch.nn.Module module, string suffix, bool bias, bool projections)
    {
        Parameter Get(string name) => module.get_parameter(name + suffix) ?? throw new InvalidOperationException($"No parameter {name}{suffix}.");
        return new LayerWeights(Get("weight_ih"), Get("weight_hh"), bias ? Get("bias_ih") : null, bias ? Get("bias_hh") : null,
            projections ? Get("weight_hr") : null);
    }
}

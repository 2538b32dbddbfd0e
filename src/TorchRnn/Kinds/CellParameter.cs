using System;

namespace TorchRnn.Kinds;

/// <summary>How <c>reset_parameters</c> draws or sets a parameter of a <see cref="RecurrentKind"/>.</summary>
public enum ParameterInit
{
    /// <summary>PyTorch's rule for recurrent weights: U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), one draw per parameter, in order.</summary>
    Uniform,

    /// <summary>Ones, without a draw: a layer norm's scale.</summary>
    Ones,

    /// <summary>Zeros, without a draw: a layer norm's shift.</summary>
    Zeros,
}

/// <summary>
/// One parameter of a layer-direction (or of a cell) as a <see cref="RecurrentKind"/> declares it: its name without
/// PyTorch's layer suffix (<c>weight_ih</c>; a sequence module registers <c>weight_ih_l0</c>, <c>weight_ih_l1_reverse</c>,
/// ...), its shape and how it is initialised.
/// </summary>
public sealed class CellParameter
{
    /// <summary>Declares a parameter.</summary>
    /// <param name="name">The name without the layer suffix, for example <c>weight_hh</c>; letters, digits and underscores.</param>
    /// <param name="shape">Its shape, for example (4 * H, H).</param>
    /// <param name="init">How <c>reset_parameters</c> initialises it; PyTorch's uniform rule when omitted.</param>
    /// <exception cref="ArgumentException">An empty name, a name with other characters, or a negative size.</exception>
    public CellParameter(string name, long[] shape, ParameterInit init = ParameterInit.Uniform)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var ch in name)
        {
            if (!char.IsAsciiLetterOrDigit(ch) && ch != '_')
                throw new ArgumentException($"A parameter name has letters, digits and underscores only: '{name}'.", nameof(name));
        }
        foreach (var size in shape)
        {
            if (size < 0) throw new ArgumentException($"Parameter {name} has a negative size: [{string.Join(", ", shape)}].", nameof(shape));
        }
        this.name = name;
        this.shape = (long[])shape.Clone();
        this.init = init;
    }

    /// <summary>The name without the layer suffix.</summary>
    public string name { get; }

    /// <summary>The shape.</summary>
    public long[] shape { get; }

    /// <summary>How <c>reset_parameters</c> initialises it.</summary>
    public ParameterInit init { get; }
}

using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// One step of any <see cref="RecurrentKind"/> as a cell module, as <c>nn.LSTMCell</c> is LSTM's: parameters under the
/// kind's names (<c>weight_ih</c>, ...), PyTorch's checks, unbatched input, zero states by default, the repr with the
/// kind's cell name (<c>LayerNormLSTMCell(4, 6)</c>).
/// </summary>
/// <remarks>Shape key: N = batch size, H_in = <c>input_size</c>, H = <c>hidden_size</c>. Input (N, H_in) or (H_in); state h
/// (N, H), with c (N, H) when the kind has a cell state; the result is the next state.</remarks>
public sealed class RecurrentCell : RNNCellBase
{
    internal RecurrentCell(RecurrentKind kind, long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        : base(kind, input_size, hidden_size, bias, device, dtype)
    {
    }
}

public static partial class nn
{
    /// <summary>Makes a cell module of <paramref name="kind"/>: one step a call.</summary>
    /// <param name="kind">What the step computes.</param>
    /// <param name="input_size">H_in.</param>
    /// <param name="hidden_size">H.</param>
    /// <param name="bias">Passed to the kind's <c>parameters</c>.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>The cell, its parameters initialised as the kind declares them.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="kind"/> is null.</exception>
    /// <exception cref="System.ArgumentException">A negative size.</exception>
    /// <example>
    /// <code>
    /// var cell = nn.RecurrentCell(new PeepholeLstmKind(), 3, 2);
    /// var (h, c) = cell.call(torch.randn(5, 3));
    /// </code>
    /// </example>
    public static RecurrentCell RecurrentCell(RecurrentKind kind, long input_size, long hidden_size, bool bias = true, Device? device = null,
        ScalarType? dtype = null)
    {
        System.ArgumentNullException.ThrowIfNull(kind);
        return new(kind, input_size, hidden_size, bias, device, dtype);
    }
}

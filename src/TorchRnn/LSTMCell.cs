using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>PyTorch's <c>nn.LSTMCell</c>: one LSTM step, (h, c) → (h', c').</summary>
/// <remarks>
/// Shapes, with N = batch, H_in = input_size, H = hidden_size: input (N, H_in) or unbatched (H_in); h, c and the
/// results (N, H) or unbatched (H). Parameters: <c>weight_ih</c> (4H, H_in), <c>weight_hh</c> (4H, H),
/// <c>bias_ih</c> and <c>bias_hh</c> (4H), gates in the order i, f, g, o.
/// </remarks>
public sealed class LSTMCell : RNNCellBase
{
    internal LSTMCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        : base(LstmKind.Instance, input_size, hidden_size, bias, device, dtype)
    {
    }

    /// <summary>Computes the next hidden and cell states.</summary>
    /// <param name="input">(N, H_in) or unbatched (H_in).</param>
    /// <param name="hx">(h_0, c_0), each (N, H) or unbatched (H); zeros when null.</param>
    /// <returns>(h_1, c_1), each (N, H) or unbatched (H).</returns>
    /// <exception cref="System.ArgumentException">
    /// The input or a state has the wrong rank, dtype, size, batch or device; the message is PyTorch's.
    /// </exception>
    public (Tensor h_1, Tensor c_1) forward(Tensor input, (Tensor h_0, Tensor c_0)? hx = null)
    {
        var (h, c) = forward(input, State(hx));
        return (h, c);
    }

    /// <summary>Runs the pair <c>forward</c> with the module's hooks: <c>var (h1, c1) = cell.call(x, (h0, c0));</c></summary>
    /// <param name="input">(N, H_in) or unbatched (H_in).</param>
    /// <param name="hx">(h_0, c_0); zeros when omitted.</param>
    /// <returns>(h_1, c_1) as the pair <c>forward</c> returns them.</returns>
    /// <exception cref="System.ArgumentException">As the pair <c>forward</c>.</exception>
    public (Tensor h_1, Tensor c_1) call(Tensor input, (Tensor h_0, Tensor c_0)? hx = null)
    {
        var (h, c) = call(input, State(hx));
        return (h, c);
    }
}

public static partial class nn
{
    /// <summary>Creates PyTorch's <c>nn.LSTMCell</c>.</summary>
    /// <param name="input_size">H_in, the number of features of the input.</param>
    /// <param name="hidden_size">H, the number of features of the hidden and cell states.</param>
    /// <param name="bias">Whether the cell uses <c>b_ih</c> and <c>b_hh</c>.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>The cell, its parameters drawn as PyTorch draws them.</returns>
    /// <exception cref="System.ArgumentException">A negative size.</exception>
    /// <example>
    /// <code>
    /// var cell = nn.LSTMCell(10, 20);
    /// var (h, c) = cell.call(torch.randn(3, 10));
    /// (h, c) = cell.call(torch.randn(3, 10), (h, c));
    /// </code>
    /// </example>
    public static LSTMCell LSTMCell(long input_size, long hidden_size, bool bias = true, Device? device = null, ScalarType? dtype = null)
        => new(input_size, hidden_size, bias, device, dtype);
}

using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>PyTorch's <c>nn.GRUCell</c>: one GRU step, h → h'.</summary>
/// <remarks>
/// Shapes, with N = batch, H_in = input_size, H = hidden_size: input (N, H_in) or unbatched (H_in); hx and the
/// result (N, H) or unbatched (H). Parameters: <c>weight_ih</c> (3H, H_in), <c>weight_hh</c> (3H, H),
/// <c>bias_ih</c> and <c>bias_hh</c> (3H), gates in the order r, z, n.
/// </remarks>
public sealed class GRUCell : RNNCellBase
{
    internal GRUCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        : base(GruKind.Instance, input_size, hidden_size, bias, device, dtype)
    {
    }

    /// <summary>Computes the next hidden state.</summary>
    /// <param name="input">(N, H_in) or unbatched (H_in).</param>
    /// <param name="hx">The current hidden state, (N, H) or unbatched (H); zeros when null.</param>
    /// <returns>h', (N, H) or unbatched (H).</returns>
    /// <exception cref="System.ArgumentException">
    /// The input or hx has the wrong rank, dtype, size, batch or device; the message is PyTorch's.
    /// </exception>
    public Tensor forward(Tensor input, Tensor? hx = null) => forward(input, State(hx)).h;

    /// <summary>Runs <see cref="forward(Tensor, Tensor?)"/> with the module's hooks, as calling the module does in PyTorch.</summary>
    /// <param name="input">(N, H_in) or unbatched (H_in).</param>
    /// <param name="hx">The current hidden state; zeros when omitted.</param>
    /// <returns>h', (N, H) or unbatched (H).</returns>
    /// <exception cref="System.ArgumentException">As <see cref="forward(Tensor, Tensor?)"/>.</exception>
    public Tensor call(Tensor input, Tensor? hx = null) => call(input, State(hx)).h;
}

public static partial class nn
{
    /// <summary>Creates PyTorch's <c>nn.GRUCell</c>.</summary>
    /// <param name="input_size">H_in, the number of features of the input.</param>
    /// <param name="hidden_size">H, the number of features of the hidden state.</param>
    /// <param name="bias">Whether the cell uses <c>b_ih</c> and <c>b_hh</c>.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>The cell, its parameters drawn as PyTorch draws them.</returns>
    /// <exception cref="System.ArgumentException">A negative size.</exception>
    /// <example>
    /// <code>
    /// var cell = nn.GRUCell(3, 2, bias: false);
    /// Py.print(cell); // GRUCell(3, 2, bias=False)
    /// var h = cell.call(torch.randn(4, 3));
    /// </code>
    /// </example>
    public static GRUCell GRUCell(long input_size, long hidden_size, bool bias = true, Device? device = null, ScalarType? dtype = null)
        => new(input_size, hidden_size, bias, device, dtype);
}

using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>nn.RNNCell</c>: one Elman step, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), or with ReLU.
/// </summary>
/// <remarks>
/// Shapes, with N = batch, H_in = input_size, H_out = hidden_size: input (N, H_in) or unbatched (H_in); hx and the
/// result (N, H_out) or unbatched (H_out). Parameters: <c>weight_ih</c> (H_out, H_in), <c>weight_hh</c> (H_out, H_out),
/// <c>bias_ih</c> and <c>bias_hh</c> (H_out).
/// </remarks>
public sealed class RNNCell : RNNCellBase
{
    internal RNNCell(long input_size, long hidden_size, bool bias, string nonlinearity, Device? device, ScalarType? dtype)
        : base(RnnKind.For(nonlinearity), input_size, hidden_size, bias, device, dtype)
    {
    }

    /// <summary>The nonlinearity, <c>tanh</c> or <c>relu</c>; the repr shows it when it is not tanh.</summary>
    public string nonlinearity => ((RnnKind)kind).Nonlinearity;

    /// <summary>Computes the next hidden state.</summary>
    /// <param name="input">(N, H_in) or unbatched (H_in).</param>
    /// <param name="hx">The current hidden state, (N, H_out) or unbatched (H_out); zeros when null.</param>
    /// <returns>h', (N, H_out) or unbatched (H_out).</returns>
    /// <exception cref="System.ArgumentException">
    /// The input or hx has the wrong rank, dtype, size, batch or device; the message is PyTorch's.
    /// </exception>
    public Tensor forward(Tensor input, Tensor? hx = null) => forward(input, State(hx)).h;

    /// <summary>Runs <see cref="forward(Tensor, Tensor?)"/> with the module's hooks, as calling the module does in PyTorch.</summary>
    /// <param name="input">(N, H_in) or unbatched (H_in).</param>
    /// <param name="hx">The current hidden state; zeros when omitted.</param>
    /// <returns>h', (N, H_out) or unbatched (H_out).</returns>
    /// <exception cref="System.ArgumentException">As <see cref="forward(Tensor, Tensor?)"/>.</exception>
    public Tensor call(Tensor input, Tensor? hx = null) => call(input, State(hx)).h;
}

public static partial class nn
{
    /// <summary>Creates PyTorch's <c>nn.RNNCell</c>: one step of an Elman RNN with tanh or ReLU.</summary>
    /// <param name="input_size">H_in, the number of features of the input.</param>
    /// <param name="hidden_size">H_out, the number of features of the hidden state.</param>
    /// <param name="bias">Whether the cell uses <c>b_ih</c> and <c>b_hh</c>.</param>
    /// <param name="nonlinearity"><c>tanh</c> or <c>relu</c>.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>The cell, its parameters drawn as PyTorch draws them.</returns>
    /// <exception cref="System.ArgumentException">An unknown nonlinearity or a negative size.</exception>
    /// <example>
    /// <code>
    /// var cell = nn.RNNCell(input_size: 3, hidden_size: 2);
    /// Py.print(cell);                       // RNNCell(3, 2)
    /// var h1 = cell.call(torch.randn(4, 3)); // (4, 2)
    /// </code>
    /// </example>
    public static RNNCell RNNCell(long input_size, long hidden_size, bool bias = true, string nonlinearity = "tanh",
        Device? device = null, ScalarType? dtype = null)
        => new(input_size, hidden_size, bias, nonlinearity, device, dtype);
}

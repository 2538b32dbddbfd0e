using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>PyTorch's <c>nn.GRU</c>: a multi-layer gated recurrent unit RNN.</summary>
/// <remarks>
/// Each step computes r = σ(x W_ir^T + b_ir + h W_hr^T + b_hr), z = σ(x W_iz^T + b_iz + h W_hz^T + b_hz),
/// n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h.
/// Shapes, with N = batch, L = sequence length, D = 2 if bidirectional else 1, H_in = input_size,
/// H_out = hidden_size: input (L, N, H_in), (N, L, H_in) when <c>batch_first</c>, or unbatched (L, H_in);
/// hx and h_n (D * num_layers, N, H_out), unbatched (D * num_layers, H_out); output (L, N, D * H_out), batch-first
/// or unbatched like the input. Parameters per layer k (and <c>_reverse</c> twins): <c>weight_ih_l{k}</c>
/// (3 * H_out, H_in or D * H_out), <c>weight_hh_l{k}</c> (3 * H_out, H_out), <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>
/// (3 * H_out), gates in the order r, z, n. The typed <c>forward</c> and <c>call</c> take and return h as a tensor;
/// <see cref="RNNBase"/>'s take a <see cref="HiddenState"/>.
/// </remarks>
#pragma warning disable CS0618 // HiddenStateRNNBase is obsolete for users; GRU keeps deriving from it until it is removed.
public sealed class GRU : HiddenStateRNNBase
#pragma warning restore CS0618
{
    internal GRU(long input_size, long hidden_size, long num_layers, bool bias, bool batch_first, double dropout,
        bool bidirectional, Device? device, ScalarType? dtype)
        : base(GruKind.Instance, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype)
    {
    }
}

public static partial class nn
{
    /// <summary>Creates PyTorch's <c>nn.GRU</c>.</summary>
    /// <param name="input_size">H_in, the number of features of each input step.</param>
    /// <param name="hidden_size">H_out, the number of features of the hidden state.</param>
    /// <param name="num_layers">How many GRUs are stacked, each taking the previous one's output.</param>
    /// <param name="bias">Whether the layers use <c>b_ih</c> and <c>b_hh</c>.</param>
    /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
    /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
    /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>The module, its parameters drawn as PyTorch draws them.</returns>
    /// <exception cref="System.ArgumentException">A size or layer count below one, or dropout outside [0, 1]; PyTorch's message.</exception>
    /// <example>
    /// <code>
    /// var gru = nn.GRU(5, 6, 2, batch_first: true);
    /// var (output, hn) = gru.call(torch.randn(3, 1, 5));
    /// Py.print(output.shape, hn.shape); // torch.Size([3, 1, 6]) torch.Size([2, 3, 6])
    /// </code>
    /// </example>
    /// <remarks>PyTorch's GRU refuses <c>proj_size</c>; here the argument does not exist, so such code does not compile.</remarks>
    public static GRU GRU(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false,
        double dropout = 0.0, bool bidirectional = false, Device? device = null, ScalarType? dtype = null)
        => new(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype);
}

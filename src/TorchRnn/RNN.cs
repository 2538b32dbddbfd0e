using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>nn.RNN</c>: a multi-layer Elman RNN, h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh), or
/// with ReLU.
/// </summary>
/// <remarks>
/// Shapes, with N = batch, L = sequence length, D = 2 if bidirectional else 1, H_in = input_size,
/// H_out = hidden_size:
/// <list type="bullet">
/// <item>input: (L, N, H_in), (N, L, H_in) when <c>batch_first</c>, or unbatched (L, H_in);</item>
/// <item>hx and h_n: (D * num_layers, N, H_out), unbatched (D * num_layers, H_out);</item>
/// <item>output: (L, N, D * H_out), (N, L, D * H_out) when <c>batch_first</c>, unbatched (L, D * H_out).</item>
/// </list>
/// Parameters: <c>weight_ih_l{k}</c> (H_out, H_in for k = 0 else D * H_out), <c>weight_hh_l{k}</c> (H_out, H_out),
/// <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> (H_out), with <c>_reverse</c> twins when bidirectional. The typed
/// <c>forward</c> and <c>call</c> take and return h as a tensor; <see cref="RNNBase"/>'s take a <see cref="HiddenState"/>.
/// </remarks>
#pragma warning disable CS0618 // HiddenStateRNNBase is obsolete for users; RNN keeps deriving from it until it is removed.
public sealed class RNN : HiddenStateRNNBase
#pragma warning restore CS0618
{
    internal RNN(long input_size, long hidden_size, long num_layers, string nonlinearity, bool bias, bool batch_first,
        double dropout, bool bidirectional, Device? device, ScalarType? dtype)
        : base(RnnKind.For(nonlinearity), input_size, hidden_size, num_layers, bias, batch_first,
            dropout, bidirectional, device, dtype)
    {
    }

    /// <summary>The nonlinearity, <c>tanh</c> or <c>relu</c>. PyTorch's repr of RNN never shows it.</summary>
    public string nonlinearity => ((RnnKind)kind).Nonlinearity;
}

public static partial class nn
{
    /// <summary>Creates PyTorch's <c>nn.RNN</c>: a multi-layer Elman RNN with tanh or ReLU.</summary>
    /// <param name="input_size">H_in, the number of features of each input step.</param>
    /// <param name="hidden_size">H_out, the number of features of the hidden state.</param>
    /// <param name="num_layers">How many RNNs are stacked, each taking the previous one's output.</param>
    /// <param name="nonlinearity"><c>tanh</c> or <c>relu</c>.</param>
    /// <param name="bias">Whether the layers use <c>b_ih</c> and <c>b_hh</c>.</param>
    /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
    /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
    /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>The module, its parameters drawn as PyTorch draws them.</returns>
    /// <exception cref="System.ArgumentException">
    /// An unknown nonlinearity, a size or layer count below one, or dropout outside [0, 1]; PyTorch's message.
    /// </exception>
    /// <example>
    /// <code>
    /// var rnn = nn.RNN(5, 6, 2);
    /// var (output, hn) = rnn.call(torch.randn(1, 3, 5), torch.randn(2, 3, 6));
    /// Py.print(output.shape); // torch.Size([1, 3, 6])
    /// </code>
    /// </example>
    public static RNN RNN(long input_size, long hidden_size, long num_layers = 1, string nonlinearity = "tanh",
        bool bias = true, bool batch_first = false, double dropout = 0.0, bool bidirectional = false,
        Device? device = null, ScalarType? dtype = null)
        => new(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first, dropout, bidirectional, device, dtype);
}

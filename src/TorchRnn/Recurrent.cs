using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// A sequence module of any <see cref="RecurrentKind"/>: your own cell, or one TorchRnn ships beyond PyTorch's
/// (<see cref="nn.LayerNormLSTM"/>, <see cref="nn.LayerNormGRU"/>, <see cref="nn.PeepholeLSTM"/>,
/// <see cref="nn.RegularizedLSTM"/>), with what
/// <c>nn.LSTM</c> has: stacked layers, bidirectional, <c>batch_first</c>, dropout between layers, unbatched and packed
/// input, hooks, PyTorch's repr with the kind's name, parameters under PyTorch's names (<c>weight_hh_l1_reverse</c>)
/// for <c>state_dict</c> and <see cref="Serialization.Checkpoint"/>.
/// </summary>
/// <remarks>
/// Shapes, with N = batch, L = sequence length, D = 2 if bidirectional else 1, H_in = <c>input_size</c>,
/// H = <c>hidden_size</c>: input (L, N, H_in), (N, L, H_in) when <c>batch_first</c>, or unbatched (L, H_in); h_0, h_n
/// (and c_0, c_n when the kind has a cell state) (D * num_layers, N, H), unbatched without N; output
/// (L, N, D * H), batch-first or unbatched like the input. <c>forward</c> and <c>call</c> take and return a
/// <see cref="HiddenState"/>, which deconstructs: <c>var (output, (h_n, c_n)) = lnlstm.call(x);</c>. TorchRnn's
/// managed engine computes: each layer-direction's input projected once, then the kind's step per time step.
/// </remarks>
public sealed class Recurrent : RNNBase
{
    internal Recurrent(RecurrentKind kind, long input_size, long hidden_size, long num_layers, bool bias, bool batch_first,
        double dropout, bool bidirectional, Device? device, ScalarType? dtype)
        : base(kind, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size: 0, device, dtype)
    {
    }
}

public static partial class nn
{
    /// <summary>Makes a sequence module of <paramref name="kind"/>, Keras's <c>keras.layers.RNN(cell)</c> with PyTorch's options.</summary>
    /// <param name="kind">What a step computes: a <see cref="RecurrentKind"/> of your own or one of TorchRnn's.</param>
    /// <param name="input_size">H_in, the number of features of each input step.</param>
    /// <param name="hidden_size">H, the number of features of the state.</param>
    /// <param name="num_layers">How many layers are stacked, each taking the previous one's output.</param>
    /// <param name="bias">Passed to the kind's <c>parameters</c>: whether its layers have biases.</param>
    /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
    /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
    /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>The module, its parameters initialised as the kind declares them, drawn layer by layer as PyTorch draws.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="kind"/> is null.</exception>
    /// <exception cref="System.ArgumentException">A size or layer count below one, or dropout outside [0, 1]; PyTorch's message.</exception>
    /// <example>
    /// <code>
    /// var rnn = nn.Recurrent(new LayerNormGruKind(), 16, 32, num_layers: 2, batch_first: true);
    /// var (output, h_n) = rnn.call(torch.randn(4, 10, 16));
    /// Py.print(rnn); // LayerNormGRU(16, 32, num_layers=2, batch_first=True)
    /// </code>
    /// </example>
    public static Recurrent Recurrent(RecurrentKind kind, long input_size, long hidden_size, long num_layers = 1, bool bias = true,
        bool batch_first = false, double dropout = 0.0, bool bidirectional = false, Device? device = null, ScalarType? dtype = null)
    {
        System.ArgumentNullException.ThrowIfNull(kind);
        return new(kind, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype);
    }
}

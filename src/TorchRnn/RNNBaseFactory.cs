using System;
using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn;

public static partial class nn
{
    /// <summary>
    /// Creates the recurrent layer PyTorch's mode string names, as the common type <see cref="TorchRnn.RNNBase"/>: the
    /// C# for PyTorch's <c>getattr(nn, rnn_type)(...)</c> or <c>nn.RNNBase(mode, ...)</c>.
    /// </summary>
    /// <param name="mode"><c>LSTM</c>, <c>GRU</c>, <c>RNN_TANH</c> or <c>RNN_RELU</c>.</param>
    /// <param name="input_size">H_in, the number of features of each input step.</param>
    /// <param name="hidden_size">H_cell, the number of features of the hidden (and cell) state.</param>
    /// <param name="num_layers">How many layers are stacked.</param>
    /// <param name="bias">Whether the layers use <c>b_ih</c> and <c>b_hh</c>.</param>
    /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
    /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
    /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
    /// <param name="proj_size">LSTM only: if positive, h is projected to this size.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>An <see cref="TorchRnn.LSTM"/>, <see cref="TorchRnn.GRU"/> or <see cref="TorchRnn.RNN"/>, drawn as PyTorch draws it.</returns>
    /// <exception cref="ArgumentException">
    /// An unknown mode (<c>Unrecognized RNN mode: ...</c>), <paramref name="proj_size"/> on a mode other than LSTM
    /// (<c>proj_size argument is only supported for LSTM, not RNN or GRU</c>), or any argument the layer refuses.
    /// </exception>
    /// <example>
    /// <code>
    /// RNNBase rnn = nn.RNNBase("GRU", 200, 200, num_layers: 2, dropout: 0.2);
    /// var (output, hidden) = rnn.call(torch.randn(35, 20, 200));
    /// Py.print(rnn); // GRU(200, 200, num_layers=2, dropout=0.2)
    /// </code>
    /// </example>
    public static RNNBase RNNBase(string mode, long input_size, long hidden_size, long num_layers = 1, bool bias = true,
        bool batch_first = false, double dropout = 0.0, bool bidirectional = false, long proj_size = 0, Device? device = null,
        ScalarType? dtype = null)
    {
        var kind = LibTorchKind.FromModeString(mode);
        if (proj_size != 0 && !kind.has_cell)
            throw new ArgumentException("proj_size argument is only supported for LSTM, not RNN or GRU", nameof(proj_size));
        return kind.CreateModule(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, device, dtype);
    }
}

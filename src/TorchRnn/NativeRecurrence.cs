using System;
using TorchSharp;
using static TorchSharp.torch;
using TorchModules = TorchSharp.Modules;

namespace TorchRnn;

/// <summary>
/// TorchSharp's native recurrent modules, which run LibTorch's own kernels (the code PyTorch runs), used as the
/// engine wherever they compute what PyTorch computes.
/// </summary>
internal static class NativeRecurrence
{
    public static torch.nn.Module CreateSequence(RecurrentMode mode, long input_size, long hidden_size, long num_layers,
        bool bias, bool batch_first, double dropout, bool bidirectional, Device? device, ScalarType? dtype) => mode switch
    {
        RecurrentMode.Lstm => torch.nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype),
        RecurrentMode.Gru => torch.nn.GRU(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype),
        _ => torch.nn.RNN(input_size, hidden_size, num_layers, mode.NativeNonlinearity(), bias, batch_first, dropout, bidirectional, device, dtype),
    };

    public static torch.nn.Module CreateCell(RecurrentMode mode, long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype) => mode switch
    {
        RecurrentMode.Lstm => torch.nn.LSTMCell(input_size, hidden_size, bias, device, dtype),
        RecurrentMode.Gru => torch.nn.GRUCell(input_size, hidden_size, bias, device, dtype),
        _ => torch.nn.RNNCell(input_size, hidden_size, mode.NativeNonlinearity(), bias, device, dtype),
    };

    /// <summary>Runs a native sequence module on checked, batched input with an explicit state.</summary>
    public static (Tensor output, Tensor h_n, Tensor? c_n) ForwardSequence(torch.nn.Module module, Tensor input, Tensor h0, Tensor? c0)
    {
        switch (module)
        {
            case TorchModules.LSTM lstm:
            {
                var (output, h_n, c_n) = lstm.forward(input, (h0, c0!));
                return (output, h_n, c_n);
            }
            case TorchModules.GRU gru:
            {
                var (output, h_n) = gru.forward(input, h0);
                return (output, h_n, null);
            }
            case TorchModules.RNN rnn:
            {
                var (output, h_n) = rnn.forward(input, h0);
                return (output, h_n, null);
            }
            default:
                throw new InvalidOperationException(module.GetType().Name);
        }
    }

    /// <summary>Runs a native cell on checked, batched input with an explicit state.</summary>
    public static (Tensor h, Tensor? c) ForwardCell(torch.nn.Module module, Tensor input, Tensor h, Tensor? c) => module switch
    {
        TorchModules.LSTMCell lstm => lstm.forward(input, (h, c!)),
        TorchModules.GRUCell gru => (gru.forward(input, h), null),
        TorchModules.RNNCell rnn => (rnn.forward(input, h), null),
        _ => throw new InvalidOperationException(module.GetType().Name),
    };
}

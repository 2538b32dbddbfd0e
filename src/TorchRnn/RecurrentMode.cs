using System;

namespace TorchRnn;

/// <summary>Which recurrence a module computes; PyTorch's <c>mode</c> string in <c>RNNBase</c>.</summary>
internal enum RecurrentMode
{
    /// <summary><c>RNN_TANH</c>: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).</summary>
    RnnTanh,

    /// <summary><c>RNN_RELU</c>: h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh).</summary>
    RnnRelu,

    /// <summary><c>LSTM</c>: gates i, f, g, o; c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c'), optionally projected.</summary>
    Lstm,

    /// <summary><c>GRU</c>: gates r, z, n; n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h.</summary>
    Gru,
}

internal static class RecurrentModes
{
    /// <summary>How many gates are stacked in each weight: RNN 1, GRU 3, LSTM 4.</summary>
    public static long GateCount(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => 4,
        RecurrentMode.Gru => 3,
        _ => 1,
    };

    /// <summary>The name PyTorch uses in the module's messages: <c>RNN</c>, <c>LSTM</c>, <c>GRU</c>.</summary>
    public static string SequenceName(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => "LSTM",
        RecurrentMode.Gru => "GRU",
        _ => "RNN",
    };

    /// <summary>The mode of RNN and RNNCell for a nonlinearity, refusing unknown ones with PyTorch's message.</summary>
    public static RecurrentMode FromNonlinearity(string nonlinearity)
    {
        Checks.Nonlinearity(nonlinearity);
        return nonlinearity == "tanh" ? RecurrentMode.RnnTanh : RecurrentMode.RnnRelu;
    }

    public static TorchSharp.torch.nn.NonLinearities NativeNonlinearity(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.RnnRelu => TorchSharp.torch.nn.NonLinearities.ReLU,
        RecurrentMode.RnnTanh => TorchSharp.torch.nn.NonLinearities.Tanh,
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };
}

using System;
using TorchSharp;

namespace TorchRnn;

/// <summary>What follows from a <see cref="RecurrentMode"/>: gate count, names, and PyTorch's mode strings.</summary>
internal static class RecurrentModes
{
    /// <summary>How many gates are stacked in each weight: RNN 1, GRU 3, LSTM 4.</summary>
    public static long GateCount(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => 4,
        RecurrentMode.Gru => 3,
        _ => 1,
    };

    /// <summary>Whether the state is (h, c) rather than h alone.</summary>
    public static bool HasCell(this RecurrentMode mode) => mode == RecurrentMode.Lstm;

    /// <summary>The name PyTorch uses in the module's messages: <c>RNN</c>, <c>LSTM</c>, <c>GRU</c>.</summary>
    public static string SequenceName(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => "LSTM",
        RecurrentMode.Gru => "GRU",
        _ => "RNN",
    };

    /// <summary>PyTorch's <c>RNNBase.mode</c>: <c>LSTM</c>, <c>GRU</c>, <c>RNN_TANH</c> or <c>RNN_RELU</c>.</summary>
    public static string ModeString(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => "LSTM",
        RecurrentMode.Gru => "GRU",
        RecurrentMode.RnnRelu => "RNN_RELU",
        _ => "RNN_TANH",
    };

    /// <summary>The mode for PyTorch's mode string, refusing others with PyTorch's message.</summary>
    public static RecurrentMode FromModeString(string mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        return mode switch
        {
            "LSTM" => RecurrentMode.Lstm,
            "GRU" => RecurrentMode.Gru,
            "RNN_TANH" => RecurrentMode.RnnTanh,
            "RNN_RELU" => RecurrentMode.RnnRelu,
            _ => throw new ArgumentException($"Unrecognized RNN mode: {mode}", nameof(mode)),
        };
    }

    /// <summary>The mode of RNN and RNNCell for a nonlinearity, refusing unknown ones with PyTorch's message.</summary>
    public static RecurrentMode FromNonlinearity(string nonlinearity)
    {
        Checks.Nonlinearity(nonlinearity);
        return nonlinearity == "tanh" ? RecurrentMode.RnnTanh : RecurrentMode.RnnRelu;
    }

    /// <summary>The nonlinearity of an RNN mode: <c>tanh</c> or <c>relu</c>.</summary>
    public static string Nonlinearity(this RecurrentMode mode) => mode == RecurrentMode.RnnRelu ? "relu" : "tanh";

    /// <summary>TorchSharp's enum for an RNN mode's nonlinearity.</summary>
    public static torch.nn.NonLinearities NativeNonlinearity(this RecurrentMode mode) => mode switch
    {
        RecurrentMode.RnnRelu => torch.nn.NonLinearities.ReLU,
        RecurrentMode.RnnTanh => torch.nn.NonLinearities.Tanh,
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };
}

namespace TorchRnn;

/// <summary>Which recurrence a module computes; PyTorch's <c>mode</c> string in <c>RNNBase</c>.</summary>
internal enum RecurrentMode
{
    /// <summary><c>RNN_TANH</c>: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).</summary>
    RnnTanh,

    /// <summary><c>RNN_RELU</c>: h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh).</summary>
    RnnRelu,
}

internal static class RecurrentModeExtensions
{
    /// <summary>How many gates are stacked in each weight: RNN 1, GRU 3, LSTM 4.</summary>
    public static long GateCount(this RecurrentMode mode) => mode switch
    {
        _ => 1,
    };

    public static RecurrentMode FromNonlinearity(string nonlinearity)
    {
        Checks.Nonlinearity(nonlinearity);
        return nonlinearity == "tanh" ? RecurrentMode.RnnTanh : RecurrentMode.RnnRelu;
    }
}

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

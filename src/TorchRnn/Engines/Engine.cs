namespace TorchRnn.Engines;

/// <summary>What computes a call of a sequence module. the kind (<c>RecurrentKind.ChooseEngine</c>) picks one per call.</summary>
internal enum Engine
{
    /// <summary>
    /// TorchSharp's native sequence module: LibTorch's own kernel over the whole sequence (oneDNN for float32 LSTMs
    /// on the CPU, ATen's loop otherwise, cuDNN on CUDA); packed input is re-packed into TorchSharp's PackedSequence.
    /// </summary>
    Native,

    /// <summary>TorchSharp's native cells (LibTorch's <c>lstm_cell</c>, <c>gru_cell</c>, ...), one call per layer, direction and step.</summary>
    Cells,

    /// <summary>
    /// TorchRnn's own recurrence: the input projections of a whole layer in one product, then a few tensor operations
    /// per step. The only engine for LSTM with <c>proj_size</c>.
    /// </summary>
    Managed,

    /// <summary>
    /// TorchRnn's fused inference engine (<see cref="FusedRecurrence"/>): float32 on the CPU without autograd, each step's
    /// products and gates in managed SIMD code with no dispatch or allocation per step.
    /// </summary>
    Fused,

    /// <summary>
    /// TorchRnn's fused LSTM under autograd (<see cref="FusedLstmTraining"/>): float32 on the CPU, dense input, one
    /// autograd node per call whose forward is the fused steps and whose backward is hand-written backpropagation
    /// through time.
    /// </summary>
    FusedTraining,
}

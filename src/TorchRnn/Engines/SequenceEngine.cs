using TorchRnn.Kinds;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// What computes a sequence module's forward once its checks have passed and its states exist. Shape key: L =
/// sequence length, N = batch, S = D * num_layers, H_out and H_cell as in <see cref="SequenceOptions"/>.
/// </summary>
/// <remarks>
/// The results belong to the caller's dispose scope; an engine frees its own temporaries. Gradients flow to the
/// module's parameters, the input and the states.
/// </remarks>
internal abstract class SequenceEngine
{
    /// <summary>What computes, in words, as the kernel check reports it: <c>LibTorch's LSTM kernel (...)</c>.</summary>
    public abstract string Kernel { get; }

    /// <summary>
    /// The stack over batched input: <paramref name="input"/> (L, N, H_in), or (N, L, H_in) when batch-first;
    /// <paramref name="h0"/> h (S, N, H_out), and c (S, N, H_cell) for an LSTM.
    /// </summary>
    /// <returns>The output in the input's layout with D * H_out features, and the final states shaped as h0.</returns>
    public abstract (Tensor output, HiddenState h_n) Run(Tensor input, HiddenState h0, bool training);

    /// <summary>
    /// The stack over packed steps: <paramref name="data"/> (sum of lengths, H_in) in packed order,
    /// <paramref name="batchSizes"/> the batch size of each step, and the states (S, B, *) in packed (sorted) order.
    /// </summary>
    /// <returns>The packed output data (sum of lengths, D * H_out) and each sequence's final states, in packed order.</returns>
    public abstract (Tensor data, HiddenState h_n) RunPacked(Tensor data, long[] batchSizes, HiddenState h0, bool training);

    /// <summary>Whether autograd records a call on <paramref name="input"/>: enabled, and the input, a state or a parameter requires gradients.</summary>
    public static bool Records(Tensor input, HiddenState? hx, CellWeights[] weights)
    {
        if (!torch.is_grad_enabled()) return false;
        if (input.requires_grad || hx is { } s && (s.h.requires_grad || s.c?.requires_grad == true)) return true;
        foreach (var w in weights)
        {
            foreach (var name in w.names)
            {
                if (w[name].requires_grad) return true;
            }
        }
        return false;
    }
}

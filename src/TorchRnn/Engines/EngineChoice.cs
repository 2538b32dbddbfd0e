using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// The one place that decides what computes a call of a sequence module (<see cref="Engine"/>), from what makes it
/// fastest. Measured on a 2-core AMD EPYC VM with LibTorch 2.10 (tests/TorchRnn.Benchmarks, <c>--engines</c>); the
/// figures are in tests/TorchRnn.Benchmarks/results/2026-12-03-engines.md and the README's Performance section.
/// </summary>
internal static class EngineChoice
{
    /// <summary>
    /// The rule:
    /// <list type="number">
    /// <item>LSTM with <c>proj_size</c>: <see cref="Engine.Managed"/>, the only engine with projections.</item>
    /// <item>Not on the CPU: <see cref="Engine.Native"/> (cuDNN, dense and packed).</item>
    /// <item>Packed input on the CPU: for LSTM and RNN <see cref="Engine.Managed"/>, whose single input product per
    /// layer beats LibTorch's packed kernel (one input product per step) and needs no re-packing; for GRU
    /// <see cref="Engine.Cells"/>, whose gate arithmetic (more operations a step than LSTM's or RNN's) runs in one native
    /// call a step: the faster engine for a forward pass, and within 10 % of the managed one in training.</item>
    /// <item>A float32 LSTM on the CPU over a single time step (one-step generation, streaming):
    /// <see cref="Engine.Cells"/>. LibTorch runs such an LSTM through oneDNN, whose fixed cost per call dominates a
    /// single step; the cells took 0.3 to 0.85 of its time at every size measured, forward and backward. At two steps
    /// the winner depends on the sizes (cells ahead at batch 1, behind at the tutorial's size) and from four steps
    /// oneDNN wins at every size, so the threshold is the one length where the cells won everywhere: one step. GRU,
    /// RNN and float64 LSTMs do not take the oneDNN path: their native kernel is one call where the cells are one per
    /// layer, and at one step it was within about 10 % of the cells either way.</item>
    /// <item>Otherwise: <see cref="Engine.Native"/>.</item>
    /// </list>
    /// </summary>
    public static Engine ForSequence(SequenceOptions options, DeviceType device, ScalarType dtype, long length, bool packed)
    {
        if (options.ProjSize > 0) return Engine.Managed;
        if (device != DeviceType.CPU) return Engine.Native;
        if (packed) return options.Mode == RecurrentMode.Gru ? Engine.Cells : Engine.Managed;
        return options.Mode == RecurrentMode.Lstm && dtype == ScalarType.Float32 && length == 1 ? Engine.Cells : Engine.Native;
    }
}

using TorchSharp;

namespace TorchRnn;

/// <summary>
/// The one place that decides what computes a call of a sequence module (<see cref="Engine"/>), from what makes it
/// fastest. Measured on a 2-core AMD EPYC VM with LibTorch 2.10 (tests/TorchRnn.Benchmarks, <c>--engines</c>); the
/// README's Performance section has the figures.
/// </summary>
internal static class EngineChoice
{
    /// <summary>
    /// The rule:
    /// <list type="number">
    /// <item>LSTM with <c>proj_size</c>: <see cref="Engine.Managed"/>, the only engine with projections.</item>
    /// <item>Not on the CPU: <see cref="Engine.Native"/> (cuDNN, dense and packed).</item>
    /// <item>Packed input on the CPU: <see cref="Engine.Managed"/>, whose single input product per layer beats
    /// LibTorch's packed kernel (one input product per step) and needs no re-packing.</item>
    /// <item>A single time step on the CPU (one-step generation, streaming): <see cref="Engine.Cells"/>. The
    /// whole-sequence kernel has a fixed cost per call (for float32 LSTMs oneDNN's, which was 1.2 to 6 times the cells'
    /// time at one step and the sizes measured); from two steps on it wins or ties, so the threshold is one step,
    /// where the cells won at every size measured.</item>
    /// <item>Otherwise: <see cref="Engine.Native"/>.</item>
    /// </list>
    /// </summary>
    public static Engine ForSequence(SequenceOptions options, DeviceType device, long length, bool packed)
    {
        if (options.ProjSize > 0) return Engine.Managed;
        if (device != DeviceType.CPU) return Engine.Native;
        if (packed) return Engine.Managed;
        return length == 1 ? Engine.Cells : Engine.Native;
    }
}

using TorchRnn.Engines;
using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Engines;

/// <summary>
/// A test double for a vendor sequence kernel: it computes with the module's managed engine (right by construction,
/// on every CPU, unlike the real vendor kernel it stands for) and adds <paramref name="offset"/> to every output and
/// final state, as a faulty kernel would return wrong numbers without an error (offset 0: a right kernel). It counts
/// its calls, so a test can see which calls the kernel check let through.
/// </summary>
internal sealed class SequenceKernelDouble(SequenceEngine real, double offset) : SequenceEngine
{
    public int Calls { get; private set; }

    public override string Kernel => offset == 0 ? "a right test kernel" : "a wrong test kernel";

    public override (Tensor output, HiddenState h_n) Run(Tensor input, HiddenState h0, bool training)
    {
        Calls++;
        var (output, h_n) = real.Run(input, h0, training);
        return (output + offset, Shift(h_n));
    }

    public override (Tensor data, HiddenState h_n) RunPacked(Tensor data, long[] batchSizes, HiddenState h0, bool training)
    {
        Calls++;
        var (output, h_n) = real.RunPacked(data, batchSizes, h0, training);
        return (output + offset, Shift(h_n));
    }

    private HiddenState Shift(HiddenState s) => new(s.h + offset, s.c is null ? null : s.c + offset);
}

/// <summary>The same double for a cell module's native cell, computing with the module's managed step.</summary>
internal sealed class CellKernelDouble(NativeCell real, RNNCellBase module, double offset) : NativeCell
{
    public int Calls { get; private set; }

    public override TorchSharp.torch.nn.Module Module => real.Module;

    public override string Kernel => offset == 0 ? "a right test cell" : "a wrong test cell";

    public override HiddenState Step(Tensor input, HiddenState? hx)
    {
        Calls++;
        var next = module.ManagedStep(input, hx);
        return new HiddenState(next.h + offset, next.c is null ? null : next.c + offset);
    }

    protected override void Replace(CellWeights weights) => real.Share(weights);
}

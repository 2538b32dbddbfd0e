using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="Engine.Managed"/>: TorchRnn's own recurrence, each layer-direction's steps as its kind prepares them
/// (<see cref="RecurrentKind"/>): the built-in kinds project the whole input in one matrix product (with the recurrent
/// bias folded in where the equations allow), then each step costs one product with W_hh and a few elementwise
/// operations. The only engine for LSTM with <c>proj_size</c> and for kinds without LibTorch kernels.
/// </summary>
/// <remarks>
/// Results agree with PyTorch's to rounding: the same operations in the same order, except that sums of the same
/// terms may group differently (b_ih + b_hh first, fused multiply-adds).
/// </remarks>
internal sealed class ManagedRecurrence(SequenceOptions options, CellWeights[] weights) : SteppedRecurrence(options)
{
    /// <inheritdoc />
    public override string Kernel => "TorchRnn's managed recurrence";

    /// <inheritdoc />
    protected override DirectionSteps Prepare(int index, Tensor layerInput, long[]? batchSizes, bool training)
        => Options.Kind.Prepare(weights[index], layerInput, batchSizes, training);
}

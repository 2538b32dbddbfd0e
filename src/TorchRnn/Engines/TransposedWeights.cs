using System;

namespace TorchRnn.Engines;

/// <summary>
/// A copy of one layer-direction's W_ih and W_hh as column panels (<see cref="RowProducts.PackPanels"/>: for each 64
/// gate rows, their values column by column), for the fused engine's steps of several rows, whose products then
/// broadcast each input element into 64 outputs at a time with no sums across vector lanes, each panel read as one
/// stream (<see cref="RowProducts.AccumulatePanels"/>). A sequence transposes within the call; a step would pay that
/// every call, so the step keeps a copy (<see cref="WeightCopies"/> decides when it is made and used,
/// <see cref="FusedRecurrence.StepReadsTransposed"/> for which steps). Rows past the last whole panel are read from the
/// weights themselves.
/// </summary>
internal sealed class TransposedWeights : IWeightCopy<TransposedWeights>
{
    private readonly CopyBlock _block;
    private readonly int _inputLength;

    private TransposedWeights(CopyBlock block, int inputLength) => (_block, _inputLength) = (block, inputLength);

    /// <summary>W_ih's panels (H_in columns).</summary>
    public ReadOnlySpan<float> Input => _block.Span.Slice(0, _inputLength);

    /// <summary>W_hh's panels (H_out columns).</summary>
    public ReadOnlySpan<float> Hidden => _block.Span.Slice(_inputLength);

    /// <inheritdoc />
    /// <remarks>Every row's panel is the same whether its products are summed or not.</remarks>
    public static TransposedWeights Make(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, int summed, int gateRows, int features, int width)
    {
        var panelRows = gateRows / 64 * 64;
        var block = CopyBlock.Allocate((long)panelRows * (features + width));
        RowProducts.PackPanels(wIh, gateRows, features, block.Span);
        RowProducts.PackPanels(wHh, gateRows, width, block.Span.Slice(panelRows * features));
        block.Written();
        return new TransposedWeights(block, panelRows * features);
    }
}

using System;

namespace TorchRnn.Engines;

/// <summary>
/// A copy of one layer-direction's W_ih and W_hh in <see cref="RowProducts.Pack"/>'s layout, for the fused engine's
/// one-row steps (batch 1, the call a generating or streaming application makes most): the rows whose two products are
/// summed (both weights, block by block), then W_hh's other rows, then W_ih's other rows (GRU's n gate). Such a step
/// is bound by reading the weights, and reading them as one stream took 0.67 to 0.96 of the time of the row-major
/// products (the products alone, 2-layer LSTM(512), one thread, in alternation within one process; Zen 5, 2026-12-07).
/// </summary>
/// <remarks>
/// <see cref="WeightCopies"/> decides when a copy is made and used. The memory is a pinned managed block
/// (<see cref="CopyBlock"/>), freed by the GC once the engine holding it is gone.
/// </remarks>
internal sealed class PackedWeights : IWeightCopy<PackedWeights>
{
    private readonly CopyBlock _block;
    private readonly int _summed, _rest, _features, _width;

    private PackedWeights(CopyBlock block, int summed, int rest, int features, int width)
        => (_block, _summed, _rest, _features, _width) = (block, summed, rest, features, width);

    /// <summary>The summed rows, W_ih's (H_in columns) and W_hh's (H_out columns) block by block.</summary>
    public ReadOnlySpan<float> Summed => _block.Span.Slice(0, _summed * (_features + _width));

    /// <summary>W_hh's other rows (H_out columns).</summary>
    public ReadOnlySpan<float> HiddenRest => _block.Span.Slice(_summed * (_features + _width), _rest * _width);

    /// <summary>W_ih's other rows (H_in columns).</summary>
    public ReadOnlySpan<float> InputRest => _block.Span.Slice(_summed * (_features + _width) + _rest * _width, _rest * _features);

    /// <summary>Whether the layout serves a layer of these sizes (see <see cref="RowProducts.Packs"/>).</summary>
    public static bool Serves(int summed, int rest, int features, int width)
        => RowProducts.Packs(summed, features, width) && (rest == 0 || (RowProducts.Packs(rest, width, 0) && RowProducts.Packs(rest, features, 0)));

    /// <inheritdoc />
    public static PackedWeights Make(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, int summed, int gateRows, int features, int width)
    {
        var rest = gateRows - summed;
        var block = CopyBlock.Allocate((long)gateRows * (features + width));
        var into = block.Span;
        var at = summed * (features + width);
        RowProducts.Pack(wIh, features, wHh, width, summed, into);
        if (rest > 0)
        {
            RowProducts.Pack(wHh.Slice(summed * width), width, default, 0, rest, into.Slice(at));
            RowProducts.Pack(wIh.Slice(summed * features), features, default, 0, rest, into.Slice(at + rest * width));
        }
        block.Written();
        return new PackedWeights(block, summed, rest, features, width);
    }
}

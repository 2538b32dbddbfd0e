using System;
using System.Runtime.InteropServices;

namespace TorchRnn.Engines;

/// <summary>
/// A copy of one layer-direction's W_ih and W_hh in <see cref="RowProducts.Pack"/>'s layout, for the fused engine's
/// one-row steps (batch 1, the call a generating or streaming application makes most): the rows whose two products are
/// summed (both weights, block by block), then W_hh's other rows, then W_ih's other rows (GRU's n gate). Such a step
/// is bound by reading the weights, and reading them as one stream took 0.67 to 0.96 of the time of the row-major
/// products (the products alone, 2-layer LSTM(512), one thread, in alternation within one process; Zen 5, 2026-12-07).
/// </summary>
/// <remarks>
/// A copy is used only while the weights are what it was made from: the same data address and the same LibTorch
/// version (<see cref="TensorVersion"/>), which every in-place change through LibTorch moves on (an optimiser's step,
/// <c>copy_</c>, <c>load_state_dict</c>, <c>set_</c>). Writes straight into a weight's memory (a span over
/// <c>data&lt;float&gt;()</c> or <c>bytes</c>) bypass LibTorch and are not seen: <c>flatten_parameters()</c> drops the copies.
/// The memory is a pinned managed block (on huge pages where <see cref="LargePages"/> places weights), freed by the GC
/// once the engine holding it is gone.
/// </remarks>
internal sealed class PackedWeights
{
    /// <summary>Whether steps may use packed copies (tests and the benchmarks' A/B set it); only where versions can be read.</summary>
    internal static bool Enabled { get; set; } = TensorVersion.Available;

    private readonly float[] _block;
    private readonly int _start;
    private readonly int _summed, _rest, _features, _width;

    private PackedWeights(float[] block, int start, int summed, int rest, int features, int width, Stamp made)
    {
        (_block, _start, _summed, _rest, _features, _width) = (block, start, summed, rest, features, width);
        Made = made;
    }

    /// <summary>What the copy was made from.</summary>
    public Stamp Made { get; }

    /// <summary>The summed rows, W_ih's (H_in columns) and W_hh's (H_out columns) block by block.</summary>
    public ReadOnlySpan<float> Summed => _block.AsSpan(_start, _summed * (_features + _width));

    /// <summary>W_hh's other rows (H_out columns).</summary>
    public ReadOnlySpan<float> HiddenRest => _block.AsSpan(_start + _summed * (_features + _width), _rest * _width);

    /// <summary>W_ih's other rows (H_in columns).</summary>
    public ReadOnlySpan<float> InputRest => _block.AsSpan(_start + _summed * (_features + _width) + _rest * _width, _rest * _features);

    /// <summary>Whether the layout serves a layer of these sizes (see <see cref="RowProducts.Packs"/>).</summary>
    public static bool Serves(int summed, int rest, int features, int width)
        => RowProducts.Packs(summed, features, width) && (rest == 0 || (RowProducts.Packs(rest, width, 0) && RowProducts.Packs(rest, features, 0)));

    /// <summary>
    /// Packs <paramref name="wIh"/> (G * H, H_in) and <paramref name="wHh"/> (G * H, H_out), whose first
    /// <paramref name="summed"/> rows are summed and the next <paramref name="rest"/> are not.
    /// </summary>
    public static PackedWeights Make(ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, int summed, int rest, int features, int width, Stamp made)
    {
        long length = (long)(summed + rest) * (features + width);
        float[] block;
        int start;
        var pages = LargePages.Allocate<float>(length);
        var huge = pages is not null;
        if (pages is { } placed)
            (block, start) = (placed.block, (int)placed.offset);
        else
        {
            // 64-byte aligned, as LibTorch's buffers are: every load of the stream then stays within one cache line.
            block = GC.AllocateUninitializedArray<float>(checked((int)length + 16), pinned: true);
            start = (int)((64 - Marshal.UnsafeAddrOfPinnedArrayElement(block, 0) % 64) % 64 / sizeof(float));
        }
        var into = block.AsSpan(start, (int)length);
        var at = summed * (features + width);
        RowProducts.Pack(wIh, features, wHh, width, summed, into);
        if (rest > 0)
        {
            RowProducts.Pack(wHh.Slice(summed * width), width, default, 0, rest, into.Slice(at));
            RowProducts.Pack(wIh.Slice(summed * features), features, default, 0, rest, into.Slice(at + rest * width));
        }
        if (huge) LargePages.Collapse(block, start, length);
        return new PackedWeights(block, start, summed, rest, features, width, made);
    }

    /// <summary>The identity of a layer's weight values: each weight's data address and LibTorch version.</summary>
    internal readonly record struct Stamp(nint InputData, long InputVersion, nint HiddenData, long HiddenVersion);
}

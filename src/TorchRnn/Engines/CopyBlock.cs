using System;
using System.Runtime.InteropServices;

namespace TorchRnn.Engines;

/// <summary>
/// The memory of one weight copy (<see cref="PackedWeights"/>, <see cref="TransposedWeights"/>): a pinned managed
/// block, read by the products as the weights are, so placed like them: from a 2 MiB boundary on huge pages where
/// <see cref="LargePages"/> places weights, else from a 64-byte boundary as LibTorch's buffers start. The GC frees it
/// once nothing holds the copy.
/// </summary>
internal readonly struct CopyBlock
{
    private readonly float[] _array;
    private readonly int _start;
    private readonly bool _huge;

    private CopyBlock(float[] array, int start, int length, bool huge) => (_array, _start, Length, _huge) = (array, start, length, huge);

    /// <summary>The block's floats.</summary>
    public int Length { get; }

    /// <summary>The block, to write.</summary>
    public Span<float> Span => _array.AsSpan(_start, Length);

    /// <summary>A block of <paramref name="length"/> floats, not zeroed.</summary>
    public static CopyBlock Allocate(long length)
    {
        var floats = checked((int)length);
        if (LargePages.Allocate<float>(length) is { } placed) return new CopyBlock(placed.block, (int)placed.offset, floats, huge: true);
        var array = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        var start = (int)((64 - Marshal.UnsafeAddrOfPinnedArrayElement(array, 0) % 64) % 64 / sizeof(float));
        return new CopyBlock(array, start, floats, huge: false);
    }

    /// <summary>After the block is written: its huge pages merged now where the kernel can (see <see cref="LargePages.Collapse{T}"/>).</summary>
    public void Written()
    {
        if (_huge) LargePages.Collapse(_array, _start, Length);
    }
}

using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchRnn.Kinds;

namespace TorchRnn.Engines;

/// <summary><see cref="FusedRecurrence"/> for Elman's RNN: h' = tanh or relu of (x W_ih^T + b_ih) + (h W_hh^T + b_hh).</summary>
internal sealed class FusedRnn(SequenceOptions options, CellWeights[] weights, SequenceEngine fallback, bool relu)
    : FusedRecurrence(options, weights, fallback)
{
    /// <inheritdoc />
    protected override int Gates => 1;

    /// <inheritdoc />
    protected override int SummedRows => Hidden;

    /// <inheritdoc />
    /// <remarks>With AVX-512, 16 units at a time (<see cref="Activations"/>); the rest with <c>TensorPrimitives</c>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Cell(Span<float> gates, ReadOnlySpan<float> input, ReadOnlySpan<float> previous, Span<float> cell, Span<float> next)
    {
        var h = next.Length;
        var k = 0;
        if (Activations.IsSupported)
        {
            ref var z = ref MemoryMarshal.GetReference(gates);
            ref var y = ref MemoryMarshal.GetReference(next);
            for (; k + 16 <= h; k += 16)
            {
                var v = Vector512.LoadUnsafe(ref z, (nuint)k);
                (relu ? Vector512.Max(v, Vector512<float>.Zero) : Activations.Tanh(v)).StoreUnsafe(ref y, (nuint)k);
            }
        }
        if (k == h) return;
        if (relu) TensorPrimitives.Max(gates.Slice(k, h - k), 0f, next.Slice(k));
        else TensorPrimitives.Tanh(gates.Slice(k, h - k), next.Slice(k));
    }
}

using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchRnn.Kinds;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="FusedRecurrence"/> for GRU, PyTorch's equations: r = σ(x_r + h_r), z = σ(x_z + h_z),
/// n = tanh(x_n + r h_n) with h_n = h W_hn^T + b_hn, h' = n + z (h - n); r and z take both products summed, n each apart.
/// </summary>
internal sealed class FusedGru(SequenceOptions options, CellWeights[] weights, SequenceEngine fallback)
    : FusedRecurrence(options, weights, fallback)
{
    /// <inheritdoc />
    protected override int Gates => 3;

    /// <inheritdoc />
    protected override int SummedRows => 2 * Hidden;

    /// <inheritdoc />
    /// <remarks>With AVX-512 one pass, 16 units at a time (<see cref="Activations"/>); the rest an operation at a time.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Cell(Span<float> gates, ReadOnlySpan<float> input, ReadOnlySpan<float> previous, Span<float> cell, Span<float> next)
    {
        var h = next.Length;
        var k = 0;
        if (Activations.IsSupported)
        {
            ref var z = ref MemoryMarshal.GetReference(gates);
            ref var x = ref MemoryMarshal.GetReference(input);
            ref var before = ref MemoryMarshal.GetReference(previous);
            ref var y = ref MemoryMarshal.GetReference(next);
            for (; k + 16 <= h; k += 16)
            {
                var reset = Activations.Sigmoid(Vector512.LoadUnsafe(ref z, (nuint)k));
                var update = Activations.Sigmoid(Vector512.LoadUnsafe(ref z, (nuint)(h + k)));
                var candidate = Activations.Tanh(Vector512.FusedMultiplyAdd(reset, Vector512.LoadUnsafe(ref z, (nuint)(2 * h + k)), Vector512.LoadUnsafe(ref x, (nuint)k)));
                Vector512.FusedMultiplyAdd(update, Vector512.LoadUnsafe(ref before, (nuint)k) - candidate, candidate).StoreUnsafe(ref y, (nuint)k);
            }
        }
        if (k < h) Units(gates, input, previous, next, k);
    }

    /// <summary>Units <paramref name="from"/> to H of <see cref="Cell"/>, an operation at a time.</summary>
    private static void Units(Span<float> gates, ReadOnlySpan<float> input, ReadOnlySpan<float> previous, Span<float> next, int from)
    {
        var h = next.Length;
        var n = h - from;
        var reset = gates.Slice(from, n);
        var update = gates.Slice(h + from, n);
        TensorPrimitives.Sigmoid(reset, reset);
        TensorPrimitives.Sigmoid(update, update);
        // n = tanh(x_n + r h_n): gates' last H rows hold h_n, input x_n.
        var candidate = gates.Slice(2 * h + from, n);
        TensorPrimitives.MultiplyAdd(reset, candidate, input.Slice(from, n), candidate);
        TensorPrimitives.Tanh(candidate, candidate);
        var y = next.Slice(from, n);
        TensorPrimitives.Subtract(previous.Slice(from, n), candidate, y);
        TensorPrimitives.MultiplyAdd(update, y, candidate, y);
    }
}

using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchRnn.Kinds;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="FusedRecurrence"/> for LSTM: gates (i, f, g, o) = (x W_ih^T + b_ih) + (h W_hh^T + b_hh), all summed;
/// c' = σ(f) c + σ(i) tanh(g); h' = σ(o) tanh(c'), in place on the gates.
/// </summary>
internal sealed class FusedLstm(SequenceOptions options, CellWeights[] weights, SequenceEngine fallback)
    : FusedRecurrence(options, weights, fallback)
{
    /// <inheritdoc />
    protected override int Gates => 4;

    /// <inheritdoc />
    protected override int SummedRows => 4 * Hidden;

    /// <inheritdoc />
    /// <remarks>
    /// With AVX-512, one pass over the four gates 16 units at a time (<see cref="Activations"/>), c and h written once;
    /// the units past the last whole vector, and machines without it, an operation at a time with <c>TensorPrimitives</c>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Cell(Span<float> gates, ReadOnlySpan<float> input, ReadOnlySpan<float> previous, Span<float> cell, Span<float> next)
    {
        var h = next.Length;
        var k = 0;
        if (Activations.IsSupported)
        {
            ref var z = ref MemoryMarshal.GetReference(gates);
            ref var c = ref MemoryMarshal.GetReference(cell);
            ref var y = ref MemoryMarshal.GetReference(next);
            for (; k + 16 <= h; k += 16)
            {
                var i = Activations.Sigmoid(Vector512.LoadUnsafe(ref z, (nuint)k));
                var f = Activations.Sigmoid(Vector512.LoadUnsafe(ref z, (nuint)(h + k)));
                var g = Activations.Tanh(Vector512.LoadUnsafe(ref z, (nuint)(2 * h + k)));
                var o = Activations.Sigmoid(Vector512.LoadUnsafe(ref z, (nuint)(3 * h + k)));
                var updated = Vector512.FusedMultiplyAdd(f, Vector512.LoadUnsafe(ref c, (nuint)k), i * g);
                updated.StoreUnsafe(ref c, (nuint)k);
                (o * Activations.Tanh(updated)).StoreUnsafe(ref y, (nuint)k);
            }
        }
        if (k < h) Units(gates, cell, next, k);
    }

    /// <summary>Units <paramref name="from"/> to H of <see cref="Cell"/>, an operation at a time.</summary>
    private static void Units(Span<float> gates, Span<float> cell, Span<float> next, int from)
    {
        var h = next.Length;
        var n = h - from;
        var inputGate = gates.Slice(from, n);
        var forget = gates.Slice(h + from, n);
        var candidate = gates.Slice(2 * h + from, n);
        var output = gates.Slice(3 * h + from, n);
        var c = cell.Slice(from, n);
        var y = next.Slice(from, n);
        TensorPrimitives.Sigmoid(inputGate, inputGate);
        TensorPrimitives.Sigmoid(forget, forget);
        TensorPrimitives.Tanh(candidate, candidate);
        TensorPrimitives.Sigmoid(output, output);
        TensorPrimitives.Multiply(inputGate, candidate, inputGate);
        TensorPrimitives.MultiplyAdd(forget, c, inputGate, c);
        TensorPrimitives.Tanh(c, y);
        TensorPrimitives.Multiply(y, output, y);
    }
}

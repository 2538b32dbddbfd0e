using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using TorchRnn.Kinds;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="FusedRecurrence"/> for GRU, PyTorch's equations: r = σ(x_r + h_r), z = σ(x_z + h_z),
/// n = tanh(x_n + r h_n) with h_n = h W_hn^T + b_hn, h' = n + z (h - n).
/// </summary>
internal sealed class FusedGru(SequenceOptions options, CellWeights[] weights, SequenceEngine fallback)
    : FusedRecurrence(options, weights, fallback)
{
    /// <inheritdoc />
    protected override int Gates => 3;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Cell(Span<float> input, Span<float> recurrent, ReadOnlySpan<float> previous, Span<float> cell, Span<float> next)
    {
        var h = next.Length;
        var resetAndUpdate = input.Slice(0, 2 * h);
        TensorPrimitives.Add(resetAndUpdate, recurrent.Slice(0, 2 * h), resetAndUpdate);
        TensorPrimitives.Sigmoid(resetAndUpdate, resetAndUpdate);
        var candidate = input.Slice(2 * h, h);
        TensorPrimitives.MultiplyAdd(input.Slice(0, h), recurrent.Slice(2 * h, h), candidate, candidate);
        TensorPrimitives.Tanh(candidate, candidate);
        TensorPrimitives.Subtract(previous, candidate, next);
        TensorPrimitives.MultiplyAdd(input.Slice(h, h), next, candidate, next);
    }
}

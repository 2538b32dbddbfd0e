using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Cell(Span<float> gates, ReadOnlySpan<float> input, ReadOnlySpan<float> previous, Span<float> cell, Span<float> next)
    {
        var h = next.Length;
        var resetAndUpdate = gates.Slice(0, 2 * h);
        TensorPrimitives.Sigmoid(resetAndUpdate, resetAndUpdate);
        // n = tanh(x_n + r h_n): gates' last H rows hold h_n, input x_n.
        var candidate = gates.Slice(2 * h, h);
        TensorPrimitives.MultiplyAdd(gates.Slice(0, h), candidate, input, candidate);
        TensorPrimitives.Tanh(candidate, candidate);
        TensorPrimitives.Subtract(previous, candidate, next);
        TensorPrimitives.MultiplyAdd(gates.Slice(h, h), next, candidate, next);
    }
}

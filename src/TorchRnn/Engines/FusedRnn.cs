using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Cell(Span<float> gates, ReadOnlySpan<float> input, ReadOnlySpan<float> previous, Span<float> cell, Span<float> next)
    {
        if (relu) TensorPrimitives.Max(gates, 0f, next);
        else TensorPrimitives.Tanh(gates, next);
    }
}

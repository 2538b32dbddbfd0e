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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Cell(Span<float> input, Span<float> recurrent, ReadOnlySpan<float> previous, Span<float> cell, Span<float> next)
    {
        TensorPrimitives.Add(input, recurrent, next);
        if (relu) TensorPrimitives.Max(next, 0f, next);
        else TensorPrimitives.Tanh(next, next);
    }
}

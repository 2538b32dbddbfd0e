using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Cell(Span<float> gates, ReadOnlySpan<float> input, ReadOnlySpan<float> previous, Span<float> cell, Span<float> next)
    {
        var h = next.Length;
        var inputAndForget = gates.Slice(0, 2 * h);
        TensorPrimitives.Sigmoid(inputAndForget, inputAndForget);
        var candidate = gates.Slice(2 * h, h);
        TensorPrimitives.Tanh(candidate, candidate);
        var output = gates.Slice(3 * h, h);
        TensorPrimitives.Sigmoid(output, output);
        var inputGate = gates.Slice(0, h);
        TensorPrimitives.Multiply(inputGate, candidate, inputGate);
        TensorPrimitives.MultiplyAdd(gates.Slice(h, h), cell, inputGate, cell);
        TensorPrimitives.Tanh(cell, next);
        TensorPrimitives.Multiply(next, output, next);
    }
}

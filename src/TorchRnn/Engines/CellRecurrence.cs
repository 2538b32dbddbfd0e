using System;
using TorchRnn.Kinds;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="Engine.Cells"/>: the stack walked with TorchSharp's native cells, one per layer-direction, computing with
/// the module's own parameters. Each step is one native call (LibTorch's <c>lstm_cell</c>, <c>gru_cell</c>, ...), so a
/// short sequence avoids the fixed cost of a whole-sequence kernel (oneDNN's, for float32 LSTMs on the CPU).
/// </summary>
internal sealed class CellRecurrence : SteppedRecurrence, IDisposable
{
    private readonly NativeCell[] _cells;

    /// <summary>Builds one native cell per layer-direction, computing with <paramref name="weights"/>.</summary>
    public CellRecurrence(SequenceOptions options, CellWeights[] weights, Device device, ScalarType dtype)
        : base(options)
    {
        _cells = new NativeCell[weights.Length];
        try
        {
            for (var i = 0; i < weights.Length; i++)
            {
                var layer = i / options.Directions;
                _cells[i] = options.Kind.CreateNativeCell(options.LayerInputSize(layer), options.HiddenSize, options.Bias, device, dtype)
                    ?? throw new InvalidOperationException($"{options.Kind.name} has no native cell.");
                _cells[i].Share(weights[i]);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override string Kernel => _cells[0].Kernel;

    /// <inheritdoc />
    protected override DirectionSteps Prepare(int index, Tensor layerInput, long[]? batchSizes, bool training)
        => new Steps(_cells[index], batchSizes is null ? layerInput.unbind(0) : layerInput.split(batchSizes, 0));

    /// <inheritdoc />
    protected override DirectionSteps PrepareStep(int index, Tensor stepInput, bool training) => new Steps(_cells[index], [stepInput]);

    /// <summary>Disposes the native cells (not the parameters, which the module owns).</summary>
    public void Dispose()
    {
        foreach (var cell in _cells) cell?.Dispose();
    }

    private sealed class Steps(NativeCell cell, Tensor[] inputs) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state) => cell.Step(inputs[t], state);
    }
}

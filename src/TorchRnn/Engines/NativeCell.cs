using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Kinds;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Engines;

/// <summary>
/// One of TorchSharp's native cells (LSTMCell, GRUCell, RNNCell), which runs LibTorch's cell function in one call:
/// the engine of the cell modules, and of <see cref="CellRecurrence"/> for each layer-direction of a sequence module.
/// </summary>
internal abstract class NativeCell : IDisposable
{
    /// <summary>The native module.</summary>
    public abstract torch.nn.Module Module { get; }

    /// <summary>LibTorch's cell function, in words, as the kernel check reports it.</summary>
    public abstract string Kernel { get; }

    /// <summary>
    /// Creates the cell <paramref name="make"/> builds without moving the generator. Its own initial weights are meant to
    /// be replaced (<see cref="Share"/>) or adopted by the module that owns it.
    /// </summary>
    public static NativeCell Create(Func<NativeCell> make) => RandomState.Preserved(make);

    /// <summary>
    /// One step on batched input (N, H_in) from <paramref name="hx"/> ((N, H), with c for LSTM), or from zeros when
    /// null (LibTorch makes them, in the input's dtype and device).
    /// </summary>
    public abstract HiddenState Step(Tensor input, HiddenState? hx);

    /// <summary>
    /// Makes the cell compute with <paramref name="weights"/> (the very tensors, so gradients reach them), and frees the
    /// weights the cell drew for itself at once rather than whenever a finalizer runs (a 2-layer LSTM(512)'s cells
    /// drew 16 MiB, which memory use carried until then).
    /// </summary>
    public void Share(CellWeights weights)
    {
        var drawn = Module.parameters().ToArray();
        Replace(weights);
        var kept = Module.parameters().ToHashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in drawn.Where(p => !kept.Contains(p))) p.Dispose();
    }

    /// <summary>Sets the cell's parameters to <paramref name="weights"/>.</summary>
    protected abstract void Replace(CellWeights weights);

    /// <summary>Disposes the native module.</summary>
    public void Dispose() => Module.Dispose();
}

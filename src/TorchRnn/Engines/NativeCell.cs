using System;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

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
    /// Creates the cell for <paramref name="mode"/> without moving the generator. Its own initial weights are
    /// meant to be replaced (<see cref="Share"/>) or adopted by the module that owns it.
    /// </summary>
    public static NativeCell Create(RecurrentMode mode, long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        => RandomState.Preserved<NativeCell>(() => mode switch
        {
            RecurrentMode.Lstm => new NativeLstmCell(torch.nn.LSTMCell(input_size, hidden_size, bias, device, dtype), hidden_size),
            RecurrentMode.Gru => NativeGruOrRnnCell.Of(torch.nn.GRUCell(input_size, hidden_size, bias, device, dtype)),
            _ => NativeGruOrRnnCell.Of(torch.nn.RNNCell(input_size, hidden_size, mode.NativeNonlinearity(), bias, device, dtype)),
        });

    /// <summary>
    /// One step on batched input (N, H_in) from <paramref name="hx"/> ((N, H), with c for LSTM), or from zeros when
    /// null (LibTorch makes them, in the input's dtype and device).
    /// </summary>
    public abstract HiddenState Step(Tensor input, HiddenState? hx);

    /// <summary>Makes the cell compute with <paramref name="weights"/> (the very tensors, so gradients reach them).</summary>
    public abstract void Share(LayerWeights weights);

    /// <summary>Disposes the native module.</summary>
    public void Dispose() => Module.Dispose();
}

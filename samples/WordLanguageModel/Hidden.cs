using System;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>
/// The recurrent state the model carries from chunk to chunk: h for a GRU or an Elman RNN, (h, c) for an LSTM,
/// each (nlayers, N, nhid). It stands in for TorchRnn's planned <c>HiddenState</c> (issue 17) and has its shape.
/// </summary>
/// <param name="h">The hidden state.</param>
/// <param name="c">An LSTM's cell state; null for the others.</param>
public readonly record struct Hidden(Tensor h, Tensor? c = null) : IDisposable
{
    /// <summary>main.py's <c>repackage_hidden</c>: the same values without their history.</summary>
    /// <returns>The detached state.</returns>
    public Hidden detach() => new(h.detach(), c?.detach());

    /// <summary>Keeps the state alive past the current dispose scope.</summary>
    /// <returns>This state.</returns>
    public Hidden MoveToOuterDisposeScope()
    {
        h.MoveToOuterDisposeScope();
        c?.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Frees the state's tensors.</summary>
    public void Dispose()
    {
        h.Dispose();
        c?.Dispose();
    }
}

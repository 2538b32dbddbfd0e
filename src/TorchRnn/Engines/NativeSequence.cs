using System;
using TorchSharp;
using static TorchSharp.torch;
using NativePackedSequence = TorchSharp.torch.nn.utils.rnn.PackedSequence;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="Engine.Native"/>: one of TorchSharp's native sequence modules (LSTM, GRU, RNN), which owns the
/// parameters and runs LibTorch's own kernel. The subclass for the module's kind is chosen once, at construction, by the kind.
/// </summary>
internal abstract class NativeSequence : SequenceEngine, IDisposable
{
    /// <summary>The native module, which owns the parameters (registered on the TorchRnn module under the same names).</summary>
    public abstract torch.nn.Module Module { get; }

    /// <summary>
    /// Creates the engine <paramref name="make"/> builds for <paramref name="o"/> (which has no projections) without
    /// moving the generator; <paramref name="make"/> gets the dropout to give the native module.
    /// </summary>
    public static NativeSequence Create(Func<double, NativeSequence> make, SequenceOptions o)
    {
        // One layer never drops anything; LibTorch would repeat the warning TorchRnn gave, so it gets dropout 0.
        var dropout = o.NumLayers == 1 ? 0 : o.Dropout;
        return RandomState.Preserved(() => make(dropout));
    }

    /// <summary>PyTorch's <c>flatten_parameters</c> (cuDNN's single weight block; nothing on the CPU).</summary>
    public abstract void FlattenParameters();

    /// <inheritdoc />
    /// <remarks>
    /// The native module's dropout follows its <c>train()</c> mode, which the TorchRnn module keeps in step; a run
    /// asked for without training while the module trains (the kernel check's run without dropout) switches it off
    /// for that call.
    /// </remarks>
    public sealed override (Tensor output, HiddenState h_n) Run(Tensor input, HiddenState h0, bool training)
    {
        if (training || !Module.training) return Forward(input, h0);
        Module.eval();
        try
        {
            return Forward(input, h0);
        }
        finally
        {
            Module.train();
        }
    }

    /// <summary>The native module's forward on checked, batched input with explicit states.</summary>
    protected abstract (Tensor output, HiddenState h_n) Forward(Tensor input, HiddenState h0);

    /// <inheritdoc />
    /// <remarks>
    /// TorchSharp makes its native PackedSequence only by packing a padded tensor, so the data is padded in its packed
    /// (sorted) order and packed again with <c>enforce_sorted</c>, which gives back identical data and batch sizes
    /// (gradients flow through both copies); the native packed forward then runs LibTorch's packed kernel.
    /// </remarks>
    public sealed override (Tensor data, HiddenState h_n) RunPacked(Tensor data, long[] batchSizes, HiddenState h0, bool training)
    {
        using var scope = torch.NewDisposeScope();
        var steps = batchSizes.Length;
        var batch = batchSizes[0];
        // padded[t, j] is data row offset(t) + j while sequence j runs at step t, else a zero row appended to the data.
        var index = new long[steps * batch];
        var offset = 0L;
        for (var t = 0; t < steps; t++)
        {
            for (var j = 0L; j < batch; j++) index[t * batch + j] = j < batchSizes[t] ? offset + j : data.shape[0];
            offset += batchSizes[t];
        }
        var withZero = torch.cat([data, data.new_zeros(1, data.shape[1])], 0);
        var padded = withZero.index_select(0, torch.tensor(index, device: data.device)).view(steps, batch, data.shape[1]);
        var lengths = new long[batch];
        foreach (var size in batchSizes)
        {
            for (var j = 0; j < size; j++) lengths[j]++;
        }
        using var packed = torch.nn.utils.rnn.pack_padded_sequence(padded, torch.tensor(lengths), batch_first: false, enforce_sorted: true);
        var (output, h_n) = training || !Module.training ? ForwardPacked(packed, h0) : ForwardPackedWithoutDropout(packed, h0);
        Tensor result;
        using (output) result = output.data.alias();
        return (result.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope());
    }

    private (NativePackedSequence output, HiddenState h_n) ForwardPackedWithoutDropout(NativePackedSequence input, HiddenState h0)
    {
        Module.eval();
        try
        {
            return ForwardPacked(input, h0);
        }
        finally
        {
            Module.train();
        }
    }

    /// <summary>The native module's packed forward.</summary>
    protected abstract (NativePackedSequence output, HiddenState h_n) ForwardPacked(NativePackedSequence input, HiddenState h0);

    /// <summary>Disposes the native module.</summary>
    public void Dispose() => Module.Dispose();
}

using System;
using TorchSharp;
using static TorchSharp.torch;
using NativePackedSequence = TorchSharp.torch.nn.utils.rnn.PackedSequence;

namespace TorchRnn.Engines;

/// <summary>
/// <see cref="NativeSequence"/> for the modules whose state is h alone: TorchSharp's <c>GRU</c> and <c>RNN</c>, which
/// have the same methods but no common type, so their forwards are captured as delegates when the module is built.
/// </summary>
internal sealed class NativeGruOrRnn(
    torch.nn.Module module,
    Func<Tensor, Tensor, (Tensor output, Tensor h_n)> forward,
    Func<NativePackedSequence, Tensor, (NativePackedSequence output, Tensor h_n)> forwardPacked,
    Action flattenParameters,
    string kernel) : NativeSequence
{
    /// <summary>The engine of TorchSharp's GRU.</summary>
    public static NativeGruOrRnn Of(TorchSharp.Modules.GRU gru) => new(gru, gru.forward, gru.call, gru.flatten_parameters, "LibTorch's GRU kernel");

    /// <summary>The engine of TorchSharp's RNN.</summary>
    public static NativeGruOrRnn Of(TorchSharp.Modules.RNN rnn) => new(rnn, rnn.forward, rnn.call, rnn.flatten_parameters, "LibTorch's RNN kernel");

    public override torch.nn.Module Module => module;

    public override string Kernel => kernel;

    public override void FlattenParameters() => flattenParameters();

    protected override (Tensor output, HiddenState h_n) Forward(Tensor input, HiddenState h0) => forward(input, h0.h);

    protected override (NativePackedSequence output, HiddenState h_n) ForwardPacked(NativePackedSequence input, HiddenState h0)
        => forwardPacked(input, h0.h);
}

using TorchSharp;
using static TorchSharp.torch;
using NativePackedSequence = TorchSharp.torch.nn.utils.rnn.PackedSequence;

namespace TorchRnn.Engines;

/// <summary><see cref="NativeSequence"/> for LSTM: TorchSharp's <c>LSTM</c> (oneDNN for float32 on the CPU).</summary>
internal sealed class NativeLstm(TorchSharp.Modules.LSTM module) : NativeSequence
{
    public override torch.nn.Module Module => module;

    public override string Kernel => "LibTorch's LSTM kernel (oneDNN for float32 on the CPU)";

    public override void FlattenParameters() => module.flatten_parameters();

    protected override (Tensor output, HiddenState h_n) Forward(Tensor input, HiddenState h0)
    {
        var (h, c) = h0;
        var (output, h_n, c_n) = module.forward(input, (h, c));
        return (output, new HiddenState(h_n, c_n));
    }

    protected override (NativePackedSequence output, HiddenState h_n) ForwardPacked(NativePackedSequence input, HiddenState h0)
    {
        var (h, c) = h0;
        var (output, h_n, c_n) = module.call(input, (h, c));
        return (output, new HiddenState(h_n, c_n));
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests.Support;

/// <summary>The seq2seq tutorial's EncoderRNN, shortened: embedding -> batch-first GRU, returning outputs and state
/// (one tensor in, two out).</summary>
public sealed class TokenEncoder : torch.nn.Module<Tensor, (Tensor, Tensor)>
{
    public readonly TorchSharp.Modules.Embedding embedding = torch.nn.Embedding(10, 4);
    public readonly GRU gru = nn.GRU(4, 5, batch_first: true);

    public TokenEncoder() : base("Encoder") => RegisterComponents();

    public override (Tensor, Tensor) forward(Tensor tokens) => gru.call(embedding.call(tokens));
}

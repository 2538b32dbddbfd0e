// The recommended usings for a ported model (README "One nn"): TorchSharp's at the top, TorchRnn's inside the
// namespace, where C# looks first, so `nn`, `LSTM` and `PackedSequence` are TorchRnn's with no alias and no warning.
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ports;

using TorchRnn;

/// <summary>
/// Issue 16's tagger, ported line by line from tests/fixtures/generate_ports.py: Embedding, a packed bidirectional
/// 2-layer LSTM, Linear. Not one <c>torch.nn.</c> prefix.
/// </summary>
public sealed class Tagger : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding embedding = nn.Embedding(100, 16);
    private readonly LSTM lstm = nn.LSTM(16, 32, num_layers: 2, batch_first: true, dropout: 0.1, bidirectional: true);
    private readonly Linear fc = nn.Linear(64, 5);

    public Tagger() : base(nameof(Tagger)) => RegisterComponents();

    // x: (N, L) token ids, lengths: (N) -> (N, L, 5) tag scores, zero past each length before fc's bias.
    public override Tensor forward(Tensor x, Tensor lengths)
    {
        var e = embedding.call(x);
        var packed = nn.utils.rnn.pack_padded_sequence(e, lengths, batch_first: true, enforce_sorted: false);
        var (output, _) = lstm.call(packed);
        var (y, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true);
        return fc.call(y);
    }
}

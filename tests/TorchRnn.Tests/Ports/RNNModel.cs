using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ports;

using TorchRnn;

/// <summary>
/// PyTorch's word-language-model example (word_language_model/model.py) with an LSTM and <c>--tied</c>, ported line by
/// line: the decoder's weight is the encoder's tensor, so <c>parameters()</c> must list it once.
/// </summary>
public sealed class RNNModel : nn.Module<Tensor, (Tensor h, Tensor c), (Tensor output, (Tensor h, Tensor c) hidden)>
{
    private readonly Embedding encoder;
    private readonly LSTM rnn;
    private readonly Linear decoder;

    public RNNModel(long ntoken, long ninp, long nhid, long nlayers) : base(nameof(RNNModel))
    {
        encoder = nn.Embedding(ntoken, ninp);
        rnn = nn.LSTM(ninp, nhid, nlayers);
        decoder = nn.Linear(nhid, ntoken);
        decoder.weight = encoder.weight!;
        RegisterComponents();
        init_weights();
    }

    private void init_weights()
    {
        const double initrange = 0.1;
        nn.init.uniform_(encoder.weight!, -initrange, initrange);
        nn.init.zeros_(decoder.bias!);
        nn.init.uniform_(decoder.weight, -initrange, initrange);
    }

    public override (Tensor output, (Tensor h, Tensor c) hidden) forward(Tensor input, (Tensor h, Tensor c) hidden)
    {
        var emb = encoder.call(input);
        var (output, next) = rnn.call(emb, hidden);
        var decoded = decoder.call(output).view(-1, decoder.out_features);
        return (nn.functional.log_softmax(decoded, dim: 1), next);
    }
}

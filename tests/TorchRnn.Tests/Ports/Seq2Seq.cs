// PyTorch's seq2seq-with-attention tutorial ported line by line (tests/fixtures/seq2seq.py), with the README's
// recommended usings and not one `torch.` prefix: TorchSharp's usings at the top, TorchRnn's inside the namespace,
// where C# looks first, so `nn` and `optim` are TorchRnn's.
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ports;

using TorchRnn;
using F = TorchRnn.nn.functional;

/// <summary>The tutorial's EncoderRNN: embedding, dropout, a batch-first GRU.</summary>
public sealed class EncoderRNN : nn.Module<Tensor, (Tensor output, Tensor hidden)>
{
    private readonly Embedding embedding;
    private readonly GRU gru;
    private readonly Dropout dropout;

    public EncoderRNN(long input_size, long hidden_size, double dropout_p = 0.1) : base(nameof(EncoderRNN))
    {
        embedding = nn.Embedding(input_size, hidden_size);
        gru = nn.GRU(hidden_size, hidden_size, batch_first: true);
        dropout = nn.Dropout(dropout_p);
        RegisterComponents();
    }

    public override (Tensor output, Tensor hidden) forward(Tensor input)
    {
        var embedded = dropout.call(embedding.call(input));
        var (output, hidden) = gru.call(embedded);
        return (output, hidden);
    }
}

/// <summary>The tutorial's BahdanauAttention (additive attention).</summary>
public sealed class BahdanauAttention : nn.Module<Tensor, Tensor, (Tensor context, Tensor weights)>
{
    private readonly Linear Wa;
    private readonly Linear Ua;
    private readonly Linear Va;

    public BahdanauAttention(long hidden_size) : base(nameof(BahdanauAttention))
    {
        Wa = nn.Linear(hidden_size, hidden_size);
        Ua = nn.Linear(hidden_size, hidden_size);
        Va = nn.Linear(hidden_size, 1);
        RegisterComponents();
    }

    public override (Tensor context, Tensor weights) forward(Tensor query, Tensor keys)
    {
        var scores = Va.call(tanh(Wa.call(query) + Ua.call(keys)));
        scores = scores.squeeze(2).unsqueeze(1);
        var weights = F.softmax(scores, dim: -1);
        var context = bmm(weights, keys);
        return (context, weights);
    }
}

/// <summary>
/// The tutorial's AttnDecoderRNN. Python's <c>forward(self, encoder_outputs, encoder_hidden, target_tensor=None)</c>:
/// the third argument is optional, so <c>call</c> is redeclared with a default (README, porting table).
/// </summary>
public sealed class AttnDecoderRNN : nn.Module<Tensor, Tensor, Tensor?, (Tensor outputs, Tensor hidden, Tensor attentions)>
{
    public const long SOS_token = 0;
    public const int MAX_LENGTH = 5;

    private readonly Embedding embedding;
    private readonly BahdanauAttention attention;
    private readonly GRU gru;
    private readonly Linear @out;
    private readonly Dropout dropout;

    public AttnDecoderRNN(long hidden_size, long output_size, double dropout_p = 0.1) : base(nameof(AttnDecoderRNN))
    {
        embedding = nn.Embedding(output_size, hidden_size);
        attention = new BahdanauAttention(hidden_size);
        gru = nn.GRU(2 * hidden_size, hidden_size, batch_first: true);
        @out = nn.Linear(hidden_size, output_size);
        dropout = nn.Dropout(dropout_p);
        RegisterComponents();
    }

    public new (Tensor outputs, Tensor hidden, Tensor attentions) call(Tensor encoder_outputs, Tensor encoder_hidden, Tensor? target_tensor = null)
        => base.call(encoder_outputs, encoder_hidden, target_tensor);

    public override (Tensor outputs, Tensor hidden, Tensor attentions) forward(Tensor encoder_outputs, Tensor encoder_hidden, Tensor? target_tensor)
    {
        var batch_size = encoder_outputs.size(0);
        var decoder_input = empty([batch_size, 1], dtype: int64).fill_(SOS_token);
        var decoder_hidden = encoder_hidden;
        var decoder_outputs = new List<Tensor>();
        var attentions = new List<Tensor>();

        for (var i = 0; i < MAX_LENGTH; i++)
        {
            (var decoder_output, decoder_hidden, var attn_weights) = forward_step(decoder_input, decoder_hidden, encoder_outputs);
            decoder_outputs.Add(decoder_output);
            attentions.Add(attn_weights);

            if (target_tensor is not null)
            {
                // Teacher forcing: feed the target as the next input.
                decoder_input = target_tensor[.., i].unsqueeze(1);
            }
            else
            {
                // Without teacher forcing: use its own predictions as the next input.
                var (_, topi) = decoder_output.topk(1);
                decoder_input = topi.squeeze(-1).detach();
            }
        }

        var outputs = F.log_softmax(cat(decoder_outputs, dim: 1), dim: -1);
        return (outputs, decoder_hidden, cat(attentions, dim: 1));
    }

    private (Tensor output, Tensor hidden, Tensor attn_weights) forward_step(Tensor input, Tensor hidden, Tensor encoder_outputs)
    {
        var embedded = dropout.call(embedding.call(input));

        var query = hidden.permute(1, 0, 2);
        var (context, attn_weights) = attention.call(query, encoder_outputs);
        var input_gru = cat([embedded, context], dim: 2);

        (var output, hidden) = gru.call(input_gru, hidden);
        output = @out.call(output);

        return (output, hidden, attn_weights);
    }
}

/// <summary>The tutorial's training with Adam and NLLLoss on seq2seq.py's seeded batch, then a greedy decode.</summary>
public static class Seq2Seq
{
    /// <summary>What seq2seq.py prints: each step's loss, then the decode in eval mode and the target.</summary>
    public static IEnumerable<string> Run()
    {
        manual_seed(0);
        var encoder = new EncoderRNN(10, 16);
        var decoder = new AttnDecoderRNN(16, 12);
        var input_tensor = randint(1, 10, [4, AttnDecoderRNN.MAX_LENGTH]);
        var target_tensor = randint(1, 12, [4, AttnDecoderRNN.MAX_LENGTH]);
        var encoder_optimizer = optim.Adam(encoder.parameters(), lr: 0.01);
        var decoder_optimizer = optim.Adam(decoder.parameters(), lr: 0.01);
        var criterion = nn.NLLLoss();

        for (var step = 1; step <= 20; step++)
        {
            using var scope = NewDisposeScope();
            encoder_optimizer.zero_grad();
            decoder_optimizer.zero_grad();
            var (encoder_outputs, encoder_hidden) = encoder.call(input_tensor);
            var (decoder_outputs, _, _) = decoder.call(encoder_outputs, encoder_hidden, target_tensor);
            var loss = criterion.call(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1));
            loss.backward();
            encoder_optimizer.step();
            decoder_optimizer.step();
            yield return string.Create(CultureInfo.InvariantCulture, $"step {step,2} loss {(double)loss.item<float>():F4}");
        }

        encoder.eval();
        decoder.eval();
        using (no_grad())
        {
            var (encoder_outputs, encoder_hidden) = encoder.call(input_tensor);
            var (decoder_outputs, _, _) = decoder.call(encoder_outputs, encoder_hidden);
            var (_, decoded) = decoder_outputs.topk(1);
            yield return "decoded " + Rows(decoded.squeeze(-1));
        }
        yield return "target  " + Rows(target_tensor);
    }

    // Python's list of lists of ints: [[4, 8, 11, 2, 7], [...]].
    private static string Rows(Tensor ids) =>
        "[" + string.Join(", ", Enumerable.Range(0, (int)ids.size(0)).Select(r => "[" + string.Join(", ", ids[r].data<long>().ToArray()) + "]")) + "]";
}

using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Onnx.Tests.Tutorial;

// PyTorch's "Translation with a Sequence to Sequence Network and Attention" tutorial
// (https://pytorch.org/tutorials/intermediate/seq2seq_translation_tutorial.html, BSD licence), its three modules ported
// line by line (fixtures/seq2seq_tutorial.py has the Python). Each has its forward on Tensor, as in the tutorial, and the
// same lines on OnnxTensor for the export.

/// <summary>The tutorial's EncoderRNN: embedding -> dropout -> batch-first GRU; tokens (N, L) -> (outputs, hidden).</summary>
public sealed class EncoderRNN : torch.nn.Module<Tensor, (Tensor, Tensor)>
{
    public readonly long hidden_size;
    public readonly Embedding embedding;
    public readonly GRU gru;
    public readonly Dropout dropout;

    public EncoderRNN(long input_size, long hidden_size, double dropout_p = 0.1) : base(nameof(EncoderRNN))
    {
        this.hidden_size = hidden_size;

        embedding = torch.nn.Embedding(input_size, hidden_size);
        gru = nn.GRU(hidden_size, hidden_size, batch_first: true);
        dropout = torch.nn.Dropout(dropout_p);
        RegisterComponents();
    }

    public override (Tensor, Tensor) forward(Tensor input)
    {
        var embedded = dropout.call(embedding.call(input));
        var (output, hidden) = gru.call(embedded);
        return (output, hidden);
    }

    public (OnnxTensor, OnnxTensor) forward(OnnxTensor input)
    {
        var embedded = dropout.call(embedding.call(input));
        var (output, hidden) = gru.call(embedded);
        return (output, hidden);
    }
}

/// <summary>The tutorial's BahdanauAttention: additive scores over the encoder's outputs, (query, keys) -> (context, weights).</summary>
public sealed class BahdanauAttention : torch.nn.Module<Tensor, Tensor, (Tensor, Tensor)>
{
    public readonly Linear Wa;
    public readonly Linear Ua;
    public readonly Linear Va;

    public BahdanauAttention(long hidden_size) : base(nameof(BahdanauAttention))
    {
        Wa = torch.nn.Linear(hidden_size, hidden_size);
        Ua = torch.nn.Linear(hidden_size, hidden_size);
        Va = torch.nn.Linear(hidden_size, 1);
        RegisterComponents();
    }

    public override (Tensor, Tensor) forward(Tensor query, Tensor keys)
    {
        var scores = Va.call(torch.tanh(Wa.call(query) + Ua.call(keys)));
        scores = scores.squeeze(2).unsqueeze(1);

        var weights = F.softmax(scores, dim: -1);
        var context = torch.bmm(weights, keys);

        return (context, weights);
    }

    public (OnnxTensor, OnnxTensor) forward(OnnxTensor query, OnnxTensor keys)
    {
        var scores = Va.call((Wa.call(query) + Ua.call(keys)).tanh());
        scores = scores.squeeze(2).unsqueeze(1);

        var weights = scores.softmax(dim: -1);
        var context = weights.bmm(keys);

        return (context, weights);
    }
}

/// <summary>The tutorial's AttnDecoderRNN with its greedy loop of <see cref="Seq2Seq.MAX_LENGTH"/> steps:
/// (encoder_outputs, encoder_hidden) -> (decoder_outputs (log-probabilities), decoder_hidden, attentions).</summary>
public sealed class AttnDecoderRNN : torch.nn.Module<Tensor, Tensor, (Tensor, Tensor, Tensor)>
{
    public readonly Embedding embedding;
    public readonly BahdanauAttention attention;
    public readonly GRU gru;
    public readonly Linear @out;
    public readonly Dropout dropout;

    public AttnDecoderRNN(long hidden_size, long output_size, double dropout_p = 0.1) : base(nameof(AttnDecoderRNN))
    {
        embedding = torch.nn.Embedding(output_size, hidden_size);
        attention = new BahdanauAttention(hidden_size);
        gru = nn.GRU(2 * hidden_size, hidden_size, batch_first: true);
        @out = torch.nn.Linear(hidden_size, output_size);
        dropout = torch.nn.Dropout(dropout_p);
        RegisterComponents();
    }

    public override (Tensor, Tensor, Tensor) forward(Tensor encoder_outputs, Tensor encoder_hidden)
        => forward(encoder_outputs, encoder_hidden, null);

    public (Tensor, Tensor, Tensor) forward(Tensor encoder_outputs, Tensor encoder_hidden, Tensor? target_tensor)
    {
        var batch_size = encoder_outputs.size(0);
        var decoder_input = torch.empty(batch_size, 1, dtype: ScalarType.Int64).fill_(Seq2Seq.SOS_token);
        var decoder_hidden = encoder_hidden;
        var decoder_outputs = new List<Tensor>();
        var attentions = new List<Tensor>();

        for (var i = 0; i < Seq2Seq.MAX_LENGTH; i++)
        {
            var (decoder_output, next_hidden, attn_weights) = forward_step(decoder_input, decoder_hidden, encoder_outputs);
            decoder_hidden = next_hidden;
            decoder_outputs.Add(decoder_output);
            attentions.Add(attn_weights);

            if (target_tensor is not null)
            {
                // Teacher forcing: Feed the target as the next input
                decoder_input = target_tensor[.., i].unsqueeze(1); // Teacher forcing
            }
            else
            {
                // Without teacher forcing: use its own predictions as the next input
                var (_, topi) = decoder_output.topk(1);
                decoder_input = topi.squeeze(-1).detach(); // detach from history as input
            }
        }

        var outputs = torch.cat(decoder_outputs, dim: 1);
        outputs = F.log_softmax(outputs, dim: -1);
        var attention_weights = torch.cat(attentions, dim: 1);

        return (outputs, decoder_hidden, attention_weights);
    }

    public (Tensor, Tensor, Tensor) forward_step(Tensor input, Tensor hidden, Tensor encoder_outputs)
    {
        var embedded = dropout.call(embedding.call(input));

        var query = hidden.permute(1, 0, 2);
        var (context, attn_weights) = attention.call(query, encoder_outputs);
        var input_gru = torch.cat([embedded, context], dim: 2);

        var (output, next_hidden) = gru.call(input_gru, hidden);
        output = @out.call(output);

        return (output, next_hidden, attn_weights);
    }

    // The same lines on OnnxTensor. The greedy loop unrolls into the graph: the tutorial's loop has a fixed
    // MAX_LENGTH steps and no early stop, so the graph is the loop as written, topk feeding the next step inside
    // ONNX Runtime, with nothing left to the host.
    public (OnnxTensor, OnnxTensor, OnnxTensor) forward(OnnxTensor encoder_outputs, OnnxTensor encoder_hidden)
    {
        // torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token), with the batch size of the graph's input.
        var decoder_input = OnnxTensor.full_like(encoder_outputs[.., ..1, 0], Seq2Seq.SOS_token, ScalarType.Int64);
        var decoder_hidden = encoder_hidden;
        var decoder_outputs = new List<OnnxTensor>();
        var attentions = new List<OnnxTensor>();

        for (var i = 0; i < Seq2Seq.MAX_LENGTH; i++)
        {
            var (decoder_output, next_hidden, attn_weights) = forward_step(decoder_input, decoder_hidden, encoder_outputs);
            decoder_hidden = next_hidden;
            decoder_outputs.Add(decoder_output);
            attentions.Add(attn_weights);

            var (_, topi) = decoder_output.topk(1);
            decoder_input = topi.squeeze(-1);
        }

        var outputs = OnnxTensor.cat(decoder_outputs, dim: 1);
        outputs = outputs.log_softmax(dim: -1);
        var attention_weights = OnnxTensor.cat(attentions, dim: 1);

        return (outputs, decoder_hidden, attention_weights);
    }

    public (OnnxTensor, OnnxTensor, OnnxTensor) forward_step(OnnxTensor input, OnnxTensor hidden, OnnxTensor encoder_outputs)
    {
        var embedded = dropout.call(embedding.call(input));

        var query = hidden.permute(1, 0, 2);
        var (context, attn_weights) = attention.forward(query, encoder_outputs);
        var input_gru = OnnxTensor.cat([embedded, context], dim: 2);

        var (output, next_hidden) = gru.call(input_gru, hidden);
        output = @out.call(output);

        return (output, next_hidden, attn_weights);
    }
}

/// <summary>Holds the encoder and the decoder, as the fixture's state_dict does (<c>encoder.*</c>, <c>decoder.*</c>).</summary>
public sealed class Seq2Seq : torch.nn.Module
{
    public const long SOS_token = 0;
    public const long EOS_token = 1;
    public const int MAX_LENGTH = 10;

    public readonly EncoderRNN encoder;
    public readonly AttnDecoderRNN decoder;

    public Seq2Seq(long input_words, long output_words, long hidden) : base(nameof(Seq2Seq))
    {
        encoder = new EncoderRNN(input_words, hidden);
        decoder = new AttnDecoderRNN(hidden, output_words);
        RegisterComponents();
    }
}

// model.py of PyTorch's word_language_model: Embedding -> dropout -> multi-layer LSTM, GRU or Elman RNN (with
// dropout between layers) -> dropout -> Linear decoder, optionally tied to the embedding. The fields have
// PyTorch's names, so the state_dict keys are PyTorch's: encoder.weight, rnn.weight_ih_l0, ..., decoder.weight,
// decoder.bias.
using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>model.py's <c>RNNModel</c>: a container with an encoder, a recurrent module and a decoder.</summary>
/// <remarks>
/// Shapes: input (L, N) word ids, output (L * N, ntoken) log-probabilities, hidden (nlayers, N, nhid), or a pair
/// of them for an LSTM. Construction draws from the global generator in PyTorch's order (the embedding's normal_,
/// the recurrent weights, the decoder's kaiming_uniform_ and bias, then <c>init_weights</c>'s uniform_ draws), so
/// after <c>torch.manual_seed</c> the weights are PyTorch's, and so are the dropout masks of each forward.
/// </remarks>
/// <remarks>
/// It derives from TorchRnn's <c>nn.Module</c>, whose <c>parameters()</c> lists a tied weight once, as PyTorch's does
/// (TorchSharp's own module lists it under both names, so clipping would count it twice and SGD step it twice).
/// </remarks>
public sealed class RNNModel : nn.Module<Tensor, HiddenState, (Tensor output, HiddenState hidden)>
{
    /// <summary>The recurrent types of <c>--model</c>, as PyTorch's example names them.</summary>
    public static readonly IReadOnlyList<string> RnnTypes = ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"];

    // Registered in this order, which is PyTorch's (named_parameters, state_dict).
    private readonly Dropout drop;
    private readonly Embedding encoder;
    private readonly RNNBase rnn;
    private readonly Linear decoder;

    /// <summary>Builds the model as model.py does, then initialises the embedding and decoder.</summary>
    /// <param name="rnnType"><c>LSTM</c>, <c>GRU</c>, <c>RNN_TANH</c> or <c>RNN_RELU</c>.</param>
    /// <param name="ntoken">The vocabulary size.</param>
    /// <param name="ninp">The embedding size (<c>--emsize</c>).</param>
    /// <param name="nhid">The hidden units per layer.</param>
    /// <param name="nlayers">The number of recurrent layers.</param>
    /// <param name="dropout">The dropout probability after the embedding, between layers and before the decoder.</param>
    /// <param name="tieWeights">Whether the decoder uses the embedding's weight (Press and Wolf 2016; Inan et al. 2016).</param>
    /// <exception cref="ArgumentException">
    /// An unknown <paramref name="rnnType"/>, or tied weights with <paramref name="nhid"/> other than <paramref name="ninp"/>.
    /// </exception>
    public RNNModel(string rnnType, long ntoken, long ninp, long nhid, long nlayers, double dropout = 0.5, bool tieWeights = false)
        : base(nameof(RNNModel))
    {
        RnnType = rnnType;
        this.ntoken = ntoken;
        this.nhid = nhid;
        this.nlayers = nlayers;
        drop = torch.nn.Dropout(dropout);
        encoder = torch.nn.Embedding(ntoken, ninp);
        // model.py's getattr(nn, rnn_type)(...): one common type for LSTM, GRU and the Elman RNNs.
        if (!RnnTypes.Contains(rnnType))
            throw new ArgumentException(
                "An invalid option for `--model` was supplied, options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']", nameof(rnnType));
        rnn = nn.RNNBase(rnnType, ninp, nhid, nlayers, dropout: dropout);
        decoder = torch.nn.Linear(nhid, ntoken);

        if (tieWeights)
        {
            if (nhid != ninp) throw new ArgumentException("When using the tied flag, nhid must be equal to emsize");
            decoder.weight = encoder.weight!;
        }
        RegisterComponents();
        init_weights();
    }

    /// <summary>The recurrent type: <c>LSTM</c>, <c>GRU</c>, <c>RNN_TANH</c> or <c>RNN_RELU</c>.</summary>
    public string RnnType { get; }

    /// <summary>The vocabulary size.</summary>
    public long ntoken { get; }

    /// <summary>The hidden units per layer.</summary>
    public long nhid { get; }

    /// <summary>The number of recurrent layers.</summary>
    public long nlayers { get; }

    /// <summary>Whether the decoder's weight is the embedding's.</summary>
    public bool Tied => TensorKey(decoder.weight) == TensorKey(encoder.weight!);

    // TorchSharp's Embedding is a native module that wraps its weight in a new object on every read, so the tied
    // decoder weight is another object over the same tensor: tensors are the same when their memory is.
    private static (IntPtr, long) TensorKey(Tensor p) => (p.storage<float>().data_ptr(), p.storage_offset());

    /// <summary>model.py's <c>init_weights</c>: uniform(-0.1, 0.1) for the embedding and decoder, a zero decoder bias.</summary>
    public void init_weights() => InitWeights(encoder, decoder);

    /// <summary>model.py's <c>init_weights</c>, which awd-lstm-lm's model.py has too, in the same order.</summary>
    internal static void InitWeights(Embedding encoder, Linear decoder)
    {
        const double initrange = 0.1;
        using var noGrad = torch.no_grad();
        torch.nn.init.uniform_(encoder.weight!, -initrange, initrange);
        torch.nn.init.zeros_(decoder.bias!);
        torch.nn.init.uniform_(decoder.weight, -initrange, initrange);
    }

    /// <summary>One pass over a chunk of text.</summary>
    /// <param name="input">(L, N) word ids, int64.</param>
    /// <param name="hidden">The state after the previous chunk (see <see cref="init_hidden"/>).</param>
    /// <returns>Log-probabilities of the next word, (L * N, ntoken), and the state after the chunk.</returns>
    public override (Tensor output, HiddenState hidden) forward(Tensor input, HiddenState hidden)
    {
        var emb = drop.call(encoder.call(input));
        var (output, next) = rnn.call(emb, hidden);
        output = drop.call(output);
        var decoded = decoder.call(output);
        decoded = decoded.view(-1, ntoken);
        return (F.log_softmax(decoded, 1), next);
    }

    /// <summary>model.py's <c>init_hidden</c>: zeros of the parameters' dtype and device, (h, c) for an LSTM.</summary>
    /// <param name="bsz">The batch size N.</param>
    /// <returns>A zero state, (nlayers, N, nhid) each.</returns>
    public HiddenState init_hidden(long bsz)
    {
        var weight = parameters().First();
        Tensor Zeros() => torch.zeros(nlayers, bsz, nhid, dtype: weight.dtype, device: weight.device);
        return RnnType == "LSTM" ? (Zeros(), Zeros()) : Zeros();
    }
}

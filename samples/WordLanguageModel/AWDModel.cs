// awd-lstm-lm's model.py (Merity, Keskar and Socher 2017, "Regularizing and Optimizing LSTM Language Models"), as
// pytorch/awd.py's AWDModel writes it: an embedding with whole-word dropout, locked dropout on its output, a stack of
// single-layer LSTMs whose hidden-to-hidden weights are DropConnect'ed (WeightDrop), locked dropout between and after
// them, and a decoder tied to the embedding. The fields have awd's names, so the state_dict keys are awd's:
// encoder.weight, rnns.0.module.weight_ih_l0, ..., rnns.0.module.weight_hh_l0_raw, ..., decoder.weight, decoder.bias.
using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Regularization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>
/// What <see cref="AWDModel"/>'s forward returns: awd's <c>forward(..., return_h=True)</c>.
/// </summary>
/// <param name="output">Log-probabilities of the next word, (L * N, ntoken).</param>
/// <param name="hidden">The state after the chunk, one (h, c) per layer, each (1, N, H_l).</param>
/// <param name="raw_outputs">Each layer's output before its dropout (awd's <c>rnn_hs</c>; TAR uses the last).</param>
/// <param name="outputs">Each layer's output after its locked dropout (awd's <c>dropped_rnn_hs</c>; AR uses the last).</param>
public sealed record AWDOutput(Tensor output, HiddenState[] hidden, Tensor[] raw_outputs, Tensor[] outputs);

/// <summary>awd-lstm-lm's <c>RNNModel</c> for <c>LSTM</c> (pytorch/awd.py's <c>AWDModel</c>).</summary>
/// <remarks>
/// <para>Shapes: input (L, N) word ids, output (L * N, ntoken) log-probabilities, hidden one (h, c) per layer, each
/// (1, N, H_l): H_l is nhid but for the last layer, which is ninp when the weights are tied.</para>
/// <para>Construction draws from the global generator in awd's order (the embedding's normal_, each LSTM's uniform_
/// draws, the decoder's kaiming_uniform_ and bias, then <c>init_weights</c>' two uniform_ on the tied weight), so
/// after <c>torch.manual_seed</c> the weights are awd's; a training forward draws its masks in awd's order too
/// (embedded dropout, dropouti, then per layer WeightDrop's mask and the layer's locked dropout).</para>
/// <para>WeightDrop writes each dropped weight into the LSTM's kernel in place: a training forward's graph must be
/// backpropagated before the next forward with gradients (see <see cref="TorchRnn.Regularization.WeightDrop"/>).</para>
/// </remarks>
public sealed class AWDModel : nn.Module<Tensor, HiddenState[], AWDOutput>
{
    // Registered in this order, which is awd's (named_parameters, state_dict); lockdrop has no parameters.
    private readonly LockedDropout lockdrop;
    private readonly Embedding encoder;
    private readonly ModuleList<torch.nn.Module<Tensor, HiddenState?, (Tensor output, HiddenState h_n)>> rnns;
    private readonly Linear decoder;
    private readonly long[] layerSizes;

    /// <summary>Builds the model as awd's model.py does, then initialises the embedding and decoder.</summary>
    /// <param name="ntoken">The vocabulary size.</param>
    /// <param name="ninp">The embedding size (<c>--emsize</c>).</param>
    /// <param name="nhid">The hidden units of every layer but the last (which has ninp when tied).</param>
    /// <param name="nlayers">The number of LSTM layers.</param>
    /// <param name="dropout">Locked dropout on the last layer's output.</param>
    /// <param name="dropouth">Locked dropout on the other layers' outputs.</param>
    /// <param name="dropouti">Locked dropout on the embedded input.</param>
    /// <param name="dropoute">Dropout of whole words (rows) of the embedding, in training.</param>
    /// <param name="wdrop">WeightDrop on each layer's <c>weight_hh_l0</c>; 0 leaves the LSTMs unwrapped, as awd does.</param>
    /// <param name="tieWeights">Whether the decoder uses the embedding's weight (awd's main.py always ties).</param>
    /// <exception cref="ArgumentException"><paramref name="wdrop"/> outside [0, 1] (the dropouts are checked by the forward that uses them).</exception>
    public AWDModel(long ntoken, long ninp, long nhid, long nlayers, double dropout = 0.5, double dropouth = 0.5,
        double dropouti = 0.5, double dropoute = 0.1, double wdrop = 0, bool tieWeights = false)
        : base(nameof(AWDModel))
    {
        this.ntoken = ntoken;
        this.nlayers = nlayers;
        this.dropout = dropout;
        this.dropouth = dropouth;
        this.dropouti = dropouti;
        this.dropoute = dropoute;
        layerSizes = Enumerable.Range(0, (int)nlayers).Select(l => l != nlayers - 1 ? nhid : tieWeights ? ninp : nhid).ToArray();

        lockdrop = nn.LockedDropout();
        encoder = torch.nn.Embedding(ntoken, ninp);
        var layers = Enumerable.Range(0, (int)nlayers)
            .Select(l => nn.LSTM(l == 0 ? ninp : nhid, layerSizes[l], 1, dropout: 0))
            .Select(lstm => wdrop != 0
                ? (torch.nn.Module<Tensor, HiddenState?, (Tensor, HiddenState)>)nn.WeightDrop(lstm, ["weight_hh_l0"], wdrop)
                : lstm)
            .ToArray();
        rnns = torch.nn.ModuleList(layers);
        decoder = torch.nn.Linear(nhid, ntoken);
        // Press and Wolf 2016; Inan et al. 2016. awd checks no sizes: the last layer has ninp units when tied.
        if (tieWeights) decoder.weight = encoder.weight!;
        RegisterComponents();
        init_weights();
    }

    /// <summary>The embedding (awd's <c>encoder</c>), for code that walks the model, such as an ONNX export.</summary>
    public Embedding Encoder => encoder;

    /// <summary>The LSTM layers (awd's <c>rnns</c>): each a <see cref="WeightDrop"/> over an LSTM, or the LSTM when wdrop is 0.</summary>
    public IReadOnlyList<torch.nn.Module<Tensor, HiddenState?, (Tensor output, HiddenState h_n)>> Rnns => [.. rnns];

    /// <summary>The decoder (awd's <c>decoder</c>), tied to <see cref="Encoder"/>'s weight when the model is tied.</summary>
    public Linear Decoder => decoder;

    /// <summary>The vocabulary size.</summary>
    public long ntoken { get; }

    /// <summary>The number of LSTM layers.</summary>
    public long nlayers { get; }

    /// <summary>Locked dropout on the last layer's output.</summary>
    public double dropout { get; }

    /// <summary>Locked dropout between layers.</summary>
    public double dropouth { get; }

    /// <summary>Locked dropout on the embedded input.</summary>
    public double dropouti { get; }

    /// <summary>Whole-word dropout of the embedding.</summary>
    public double dropoute { get; }

    /// <summary>awd's <c>init_weights</c>: uniform(-0.1, 0.1) for the embedding and decoder, a zero decoder bias.</summary>
    public void init_weights() => RNNModel.InitWeights(encoder, decoder);

    /// <summary>One pass over a chunk of text, with the per-layer outputs that AR and TAR need.</summary>
    /// <param name="input">(L, N) word ids, int64.</param>
    /// <param name="hidden">The state after the previous chunk, one per layer (see <see cref="init_hidden"/>).</param>
    /// <returns>The log-probabilities, the new states, and each layer's raw and dropped outputs.</returns>
    public override AWDOutput forward(Tensor input, HiddenState[] hidden)
    {
        var emb = nn.functional.embedded_dropout(encoder, input, training ? dropoute : 0);
        emb = lockdrop.call(emb, dropouti);

        var rawOutput = emb;
        var newHidden = new HiddenState[nlayers];
        var rawOutputs = new Tensor[nlayers];
        var outputs = new List<Tensor>();
        for (var l = 0; l < nlayers; l++)
        {
            (rawOutput, newHidden[l]) = rnns[l].call(rawOutput, hidden[l]);
            rawOutputs[l] = rawOutput;
            if (l != nlayers - 1)
            {
                rawOutput = lockdrop.call(rawOutput, dropouth);
                outputs.Add(rawOutput);
            }
        }
        var output = lockdrop.call(rawOutput, dropout);
        outputs.Add(output);

        var result = output.view(output.size(0) * output.size(1), output.size(2));
        return new AWDOutput(F.log_softmax(decoder.call(result), 1), newHidden, rawOutputs, [.. outputs]);
    }

    /// <summary>awd's <c>init_hidden</c>: zeros of the parameters' dtype and device, (h, c) for each layer.</summary>
    /// <param name="bsz">The batch size N.</param>
    /// <returns>One zero state a layer, (1, N, H_l) each.</returns>
    public HiddenState[] init_hidden(long bsz)
    {
        var weight = parameters().First();
        Tensor Zeros(long size) => torch.zeros(1, bsz, size, dtype: weight.dtype, device: weight.device);
        return layerSizes.Select(size => new HiddenState(Zeros(size), Zeros(size))).ToArray();
    }
}

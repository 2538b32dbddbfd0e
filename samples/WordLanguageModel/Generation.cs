// generate.py of PyTorch's word_language_model: a trained model writes text one word at a time, each word drawn
// from its softmax (sharpened or flattened by a temperature) and fed back as the next input with the state carried.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using TorchRnn.Serialization;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>The generate command's options: generate.py's arguments and defaults.</summary>
public sealed record GenerateOptions
{
    /// <summary><c>--data</c>: the corpus the model was trained on (for its dictionary).</summary>
    public string Data { get; init; } = Paths.DefaultData;

    /// <summary><c>--checkpoint</c>: a state_dict saved by the training command or by the Python twin.</summary>
    public string Checkpoint { get; init; } = "model.pt";

    /// <summary><c>--outf</c>: the output file for the generated text.</summary>
    public string Outf { get; init; } = "generated.txt";

    /// <summary><c>--words</c>: the number of words to generate.</summary>
    public int Words { get; init; } = 1000;

    /// <summary><c>--seed</c>.</summary>
    public long Seed { get; init; } = 1111;

    /// <summary><c>--temperature</c>: higher increases diversity; at least 1e-3.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary><c>--log-interval</c>: words per progress line.</summary>
    public int LogInterval { get; init; } = 100;

    /// <summary><c>--model</c>: the recurrent type, when the checkpoint cannot tell it (RNN_RELU); null to read it from the checkpoint.</summary>
    public string? Model { get; init; }

    /// <summary><c>--threads</c>: LibTorch's intra-op threads; 0 leaves LibTorch's default.</summary>
    public int Threads { get; init; }

    /// <summary>Tokens read of each split for the dictionary: a <c>--quick</c> training run's (<c>--quick</c>); 0 reads everything.</summary>
    public long MaxTokens { get; init; }
}

/// <summary>What a generation run wrote and how fast.</summary>
/// <param name="Words">The generated words, in order.</param>
/// <param name="Seconds">The time the loop over words took (model and sampling, not loading).</param>
public sealed record GenerateResult(IReadOnlyList<string> Words, double Seconds)
{
    /// <summary>Words per second of the loop.</summary>
    public double WordsPerSecond => Words.Count / Seconds;
}

/// <summary>
/// The architecture a state_dict holds, read from its keys and shapes: <c>encoder.weight</c> gives ntoken and
/// emsize, <c>rnn.weight_hh_l0</c> the hidden size and the gate count (4 LSTM, 3 GRU, 1 Elman RNN), the
/// <c>rnn.weight_ih_l{k}</c> the layers.
/// </summary>
/// <param name="RnnType">LSTM, GRU or RNN_TANH (an RNN_RELU's weights look like RNN_TANH's).</param>
/// <param name="Ntoken">Vocabulary size.</param>
/// <param name="Emsize">Embedding size.</param>
/// <param name="Nhid">Hidden units per layer.</param>
/// <param name="Nlayers">Recurrent layers.</param>
public sealed partial record ModelShape(string RnnType, long Ntoken, long Emsize, long Nhid, long Nlayers)
{
    /// <summary>Reads the shapes of a <c>.pt</c> (torch.save of a state_dict) or <c>.safetensors</c> checkpoint.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <returns>The architecture.</returns>
    /// <exception cref="InvalidDataException">The file is not a state_dict of model.py's <c>RNNModel</c>.</exception>
    public static ModelShape Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint at {path}.", path);
        using var scope = torch.NewDisposeScope();
        IDictionary table = Path.GetExtension(path).Equals(".safetensors", StringComparison.OrdinalIgnoreCase)
            ? Safetensors.LoadStateDict(path)
            : PyTorchUnpickler.UnpickleStateDict(path);
        var shapes = new Dictionary<string, long[]>();
        foreach (DictionaryEntry entry in table) shapes[(string)entry.Key] = ((Tensor)entry.Value!).shape;
        if (!shapes.TryGetValue("encoder.weight", out var encoder) || !shapes.TryGetValue("rnn.weight_hh_l0", out var hh))
            throw new InvalidDataException($"{path} is not a state_dict of the language model: it has no encoder.weight or rnn.weight_hh_l0.");
        var nhid = hh[1];
        var rnnType = (hh[0] / nhid) switch
        {
            4 => "LSTM",
            3 => "GRU",
            1 => "RNN_TANH",
            _ => throw new InvalidDataException($"{path}: rnn.weight_hh_l0 is ({hh[0]}, {hh[1]}), no recurrent type has that shape."),
        };
        var nlayers = shapes.Keys.Count(k => LayerWeight().IsMatch(k));
        return new ModelShape(rnnType, encoder[0], encoder[1], nhid, nlayers);
    }

    [GeneratedRegex(@"^rnn\.weight_ih_l\d+$")]
    private static partial Regex LayerWeight();
}

/// <summary>generate.py: words from a trained model.</summary>
public static class TextGenerator
{
    /// <summary>
    /// generate.py from start to end: the model from the checkpoint, in evaluation mode; the dictionary from the
    /// corpus; then, from a random first word, each word drawn with <c>torch.multinomial</c> from
    /// exp(log-probabilities / temperature) and fed back with the state. Writes 20 words per line to
    /// <see cref="GenerateOptions.Outf"/>.
    /// </summary>
    /// <param name="o">The options.</param>
    /// <param name="view">Where the progress lines and the bar go.</param>
    /// <returns>The words and the time the loop took.</returns>
    /// <exception cref="ArgumentException">
    /// The temperature is below 1e-3, <see cref="GenerateOptions.Model"/> contradicts the checkpoint, or the
    /// checkpoint's vocabulary is not the corpus's.
    /// </exception>
    /// <exception cref="FileNotFoundException">The checkpoint or a split of the corpus is missing.</exception>
    public static GenerateResult Run(GenerateOptions o, IProgressView view)
    {
        if (o.Temperature < 1e-3) throw new ArgumentException("--temperature has to be greater or equal 1e-3.");
        if (o.Threads > 0) torch.set_num_threads(o.Threads);
        using var scope = torch.NewDisposeScope();

        // 1. The model the checkpoint holds, and the dictionary it was trained with.
        var shape = ModelShape.Read(o.Checkpoint);
        var rnnType = o.Model ?? shape.RnnType;
        if (rnnType != shape.RnnType && !(rnnType == "RNN_RELU" && shape.RnnType == "RNN_TANH"))
            throw new ArgumentException($"--model {rnnType} does not match the checkpoint, which holds a {shape.RnnType} model.");
        var corpus = new Corpus(o.Data, o.MaxTokens);
        var ntokens = corpus.Dictionary.Count;
        if (ntokens != shape.Ntoken)
            throw new ArgumentException(
                $"The checkpoint's vocabulary has {shape.Ntoken} words and the corpus in {o.Data} {ntokens}: pass the --data the model was trained on (and --quick for a --quick run's model).");
        using var model = new RNNModel(rnnType, ntokens, shape.Emsize, shape.Nhid, shape.Nlayers);
        Checkpoint.load(model, o.Checkpoint);
        model.eval();

        // 2. The seed: set after the model is built, so the words depend on the weights and the seed only.
        torch.manual_seed(o.Seed);
        var hidden = model.init_hidden(1);
        var input = torch.randint(ntokens, [1, 1], dtype: torch.int64);

        // 3. One word at a time: a sequence of length 1, the state carried from word to word.
        var words = new List<string>(o.Words);
        view.Start("generate", o.Words);
        using var outf = new StreamWriter(o.Outf);
        var clock = Stopwatch.StartNew();
        using (torch.no_grad())
        {
            for (var i = 0; i < o.Words; i++)
            {
                using var step = torch.NewDisposeScope();
                var (output, next) = model.call(input, hidden);
                hidden.Dispose();
                hidden = next.MoveToOuterDisposeScope();
                var wordWeights = output.squeeze().div(o.Temperature).exp().cpu();
                var wordIdx = torch.multinomial(wordWeights, 1)[0].item<long>();
                input.fill_(wordIdx);

                var word = corpus.Dictionary.Words[(int)wordIdx];
                words.Add(word);
                outf.Write(word + (i % 20 == 19 ? "\n" : " "));
                view.Advance(null);
                if (i % o.LogInterval == 0) view.Line($"| Generated {i}/{o.Words} words");
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        hidden.Dispose();
        view.Line(string.Create(CultureInfo.InvariantCulture,
            $"| Generated {o.Words} words in {seconds:0.00} s ({o.Words / seconds:0.0} words/s) | {o.Outf}"));
        return new GenerateResult(words, seconds);
    }
}

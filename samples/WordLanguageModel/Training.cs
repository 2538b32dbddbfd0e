// main.py of PyTorch's word_language_model: batchify, get_batch, truncated BPTT with the state carried and
// detached between chunks, gradient clipping, plain SGD whose learning rate is divided by 4 when the validation
// loss stops improving, the best model saved, and the test perplexity at the end.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using TorchRnn.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>The training command's options: main.py's arguments and defaults, and <c>--quick</c>.</summary>
public sealed record TrainOptions
{
    /// <summary>
    /// The options of <c>--quick</c> on top of the defaults: a small model on the first 10,000 tokens of each split
    /// (3,805 distinct words instead of 18,328), at learning rate 2. (At the default 20, so few parameters take steps so large that training is chaotic: float32
    /// rounding alone, PyTorch's own float32 against float64, changes the loss by 0.1 within 15 batches.)
    /// </summary>
    public static TrainOptions Quick { get; } = QuickOf(new());

    /// <summary>
    /// The defaults of <c>--model AWD</c>: awd-lstm-lm's (its README's WikiText-2 command) at a width this machine
    /// trains, emsize 200 and nhid 400 for awd's 400 and 1150, 3 layers, lr 30, tied; bptt and batch size as the others.
    /// </summary>
    public static TrainOptions Awd { get; } = new() { Model = AwdTrainer.ModelName, Nhid = 400, Nlayers = 3, Lr = 30, Dropout = 0.4, Tied = true };

    /// <summary><c>--quick</c>'s changes on top of a model's defaults (main.py's <c>quick</c> dictionary).</summary>
    /// <param name="defaults">The model's defaults: <c>new()</c> or <see cref="Awd"/>.</param>
    /// <returns>The defaults with the small sizes, lr 2, 2 epochs, bptt 20 and the first 10,000 tokens.</returns>
    public static TrainOptions QuickOf(TrainOptions defaults) =>
        defaults with { Emsize = 32, Nhid = 32, Lr = 2, Epochs = 2, Bptt = 20, LogInterval = 10, MaxTokens = 10_000 };

    /// <summary><c>--data</c>: the corpus folder.</summary>
    public string Data { get; init; } = Paths.DefaultData;

    /// <summary><c>--model</c>: LSTM, GRU, RNN_TANH, RNN_RELU, or AWD (awd-lstm-lm's AWD-LSTM).</summary>
    public string Model { get; init; } = "LSTM";

    /// <summary><c>--emsize</c>: size of the word embeddings.</summary>
    public long Emsize { get; init; } = 200;

    /// <summary><c>--nhid</c>: hidden units per layer.</summary>
    public long Nhid { get; init; } = 200;

    /// <summary><c>--nlayers</c>: recurrent layers.</summary>
    public long Nlayers { get; init; } = 2;

    /// <summary><c>--lr</c>: initial learning rate.</summary>
    public double Lr { get; init; } = 20;

    /// <summary><c>--clip</c>: gradient clipping (largest total norm).</summary>
    public double Clip { get; init; } = 0.25;

    /// <summary><c>--epochs</c>: upper epoch limit.</summary>
    public int Epochs { get; init; } = 40;

    /// <summary><c>--batch_size</c>.</summary>
    public long BatchSize { get; init; } = 20;

    /// <summary><c>--bptt</c>: sequence length of a chunk.</summary>
    public long Bptt { get; init; } = 35;

    /// <summary><c>--dropout</c>: dropout applied to layers (0 = no dropout).</summary>
    public double Dropout { get; init; } = 0.2;

    /// <summary>AWD's <c>--dropouth</c>: locked dropout on the outputs of all layers but the last.</summary>
    public double Dropouth { get; init; } = 0.2;

    /// <summary>AWD's <c>--dropouti</c>: locked dropout on the embedded input.</summary>
    public double Dropouti { get; init; } = 0.65;

    /// <summary>AWD's <c>--dropoute</c>: dropout of whole words (rows) of the embedding.</summary>
    public double Dropoute { get; init; } = 0.1;

    /// <summary>AWD's <c>--wdrop</c>: WeightDrop (DropConnect) on each layer's hidden-to-hidden weights.</summary>
    public double Wdrop { get; init; } = 0.5;

    /// <summary>AWD's <c>--alpha</c>: activation regularisation (AR) of the last layer's dropped output.</summary>
    public double Alpha { get; init; } = 2;

    /// <summary>AWD's <c>--beta</c>: temporal activation regularisation (TAR) of the last layer's raw output.</summary>
    public double Beta { get; init; } = 1;

    /// <summary>AWD's <c>--wdecay</c>: weight decay of SGD and ASGD.</summary>
    public double Wdecay { get; init; } = 1.2e-6;

    /// <summary>AWD's <c>--nonmono</c>: averaging starts once the validation loss is above the best of all but the last nonmono epochs.</summary>
    public int Nonmono { get; init; } = 5;

    /// <summary><c>--tied</c>: tie the word embedding and softmax weights (AWD ties them always).</summary>
    public bool Tied { get; init; }

    /// <summary><c>--seed</c>.</summary>
    public long Seed { get; init; } = 1111;

    /// <summary><c>--log-interval</c>: batches per progress line.</summary>
    public int LogInterval { get; init; } = 200;

    /// <summary><c>--save</c>: where the best model's state_dict goes.</summary>
    public string Save { get; init; } = "model.pt";

    /// <summary><c>--threads</c>: LibTorch's intra-op threads; 0 leaves LibTorch's default.</summary>
    public int Threads { get; init; }

    /// <summary><c>--record</c>: a JSON file for every batch's loss and gradient norm, every epoch's validation loss and the test loss.</summary>
    public string? Record { get; init; }

    /// <summary>Tokens read of each split, and so the words of the dictionary (<c>--quick</c>); 0 reads everything.</summary>
    public long MaxTokens { get; init; }
}

/// <summary>What a training run measured: <c>--record</c>'s content.</summary>
/// <param name="Batches">Every training batch: epoch, batch index, loss, gradient norm before clipping.</param>
/// <param name="Epochs">Every completed epoch: learning rate used, validation loss, seconds (training and validation).</param>
/// <param name="TestLoss">The test loss of the best model.</param>
/// <param name="Vocabulary">The dictionary size.</param>
public sealed record TrainResult(IReadOnlyList<BatchRecord> Batches, IReadOnlyList<EpochRecord> Epochs, double TestLoss, int Vocabulary);

/// <summary>One training batch.</summary>
/// <param name="Epoch">From 1.</param>
/// <param name="Batch">From 0, as main.py counts.</param>
/// <param name="Loss">The batch's mean negative log-likelihood.</param>
/// <param name="GradNorm">The total gradient norm before clipping (what <c>clip_grad_norm_</c> returns).</param>
public sealed record BatchRecord(int Epoch, int Batch, double Loss, double GradNorm);

/// <summary>One epoch.</summary>
/// <param name="Epoch">From 1.</param>
/// <param name="Lr">The learning rate of its updates.</param>
/// <param name="ValLoss">The validation loss after it.</param>
/// <param name="Seconds">Training and validation time (what the end-of-epoch line prints).</param>
/// <param name="TrainSeconds">Training time alone.</param>
/// <param name="Averaged">AWD: whether the epoch trained with averaged SGD and was evaluated on the averages; null for the other models.</param>
public sealed record EpochRecord(int Epoch, double Lr, double ValLoss, double Seconds, double TrainSeconds,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? Averaged = null);

/// <summary>main.py's training program, and its parts.</summary>
public static class Trainer
{
    /// <summary>main.py's <c>eval_batch_size</c>.</summary>
    public const long EvalBatchSize = 10;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// main.py's <c>batchify</c>: the sequence cut into <paramref name="bsz"/> columns, (len / bsz, bsz); the
    /// remainder that does not fit is dropped. Columns are independent: the model never learns across them.
    /// </summary>
    /// <param name="data">Word ids, (number of tokens,).</param>
    /// <param name="bsz">The batch size N.</param>
    /// <returns>(len / N, N), contiguous.</returns>
    public static Tensor Batchify(Tensor data, long bsz)
    {
        var nbatch = data.size(0) / bsz;
        data = data.narrow(0, 0, nbatch * bsz);
        return data.view(bsz, -1).t().contiguous();
    }

    /// <summary>
    /// main.py's <c>get_batch</c>: rows i to i + bptt of <paramref name="source"/> and, as targets, the next word of
    /// each, flattened. The last chunk is shorter when the rows run out.
    /// </summary>
    /// <param name="source">A batchified split, (rows, N).</param>
    /// <param name="i">The first row.</param>
    /// <param name="bptt">The chunk length.</param>
    /// <returns>data (L, N) and target (L * N,).</returns>
    public static (Tensor data, Tensor target) GetBatch(Tensor source, long i, long bptt)
    {
        var seqLen = Math.Min(bptt, source.size(0) - 1 - i);
        var data = source[TensorIndex.Slice(i, i + seqLen)];
        var target = source[TensorIndex.Slice(i + 1, i + 1 + seqLen)].view(-1);
        return (data, target);
    }

    /// <summary>How many chunks the loops over <paramref name="source"/> take: one per <paramref name="bptt"/> rows, the last one shorter.</summary>
    private static long Chunks(Tensor source, long bptt) => (source.size(0) - 1 + bptt - 1) / bptt;

    /// <summary>main.py's <c>evaluate</c>: the mean loss per token over a split, without dropout or gradients.</summary>
    /// <param name="model">The model; it is left in evaluation mode.</param>
    /// <param name="dataSource">A split batchified with <see cref="EvalBatchSize"/> columns.</param>
    /// <param name="bptt">The chunk length.</param>
    /// <param name="view">Shows a bar for the chunks when given.</param>
    /// <param name="label">The bar's label.</param>
    /// <returns>The loss (its exponential is the perplexity).</returns>
    public static double Evaluate(RNNModel model, Tensor dataSource, long bptt, IProgressView? view = null, string label = "evaluate") =>
        Evaluate(model, dataSource, bptt, model.init_hidden, (data, hidden) => model.call(data, hidden),
            h => h.detach().MoveToOuterDisposeScope(), h => h.Dispose(), view, label);

    /// <summary>
    /// main.py's <c>evaluate</c> for either model: its first state, its step, how its state leaves a batch's scope
    /// (detached) and how it is disposed are given.
    /// </summary>
    /// <returns>The mean loss per token.</returns>
    internal static double Evaluate<TState>(torch.nn.Module model, Tensor dataSource, long bptt, Func<long, TState> initHidden,
        Func<Tensor, TState, (Tensor output, TState hidden)> step, Func<TState, TState> keep, Action<TState> dispose,
        IProgressView? view, string label)
    {
        model.eval();
        view?.Start(label, Chunks(dataSource, bptt));
        var totalLoss = 0.0;
        // main.py's eval_batch_size: the columns of the batchified split.
        var hidden = initHidden(dataSource.size(1));
        using var noGrad = torch.no_grad();
        for (long i = 0; i < dataSource.size(0) - 1; i += bptt)
        {
            using var scope = torch.NewDisposeScope();
            var (data, targets) = GetBatch(dataSource, i, bptt);
            var (output, next) = step(data, hidden);
            dispose(hidden);
            hidden = keep(next);
            totalLoss += data.size(0) * torch.nn.functional.nll_loss(output, targets).item<float>();
            view?.Advance(null);
        }
        dispose(hidden);
        return totalLoss / (dataSource.size(0) - 1);
    }

    /// <summary>
    /// main.py's <c>train</c>: one epoch of truncated BPTT. Each chunk starts from the previous chunk's state,
    /// detached; the gradient is clipped to a total norm of <c>--clip</c>, then every parameter (a tied one
    /// once) takes the step <c>p -= lr * p.grad</c>.
    /// </summary>
    /// <param name="model">The model; it is put in training mode (dropout on).</param>
    /// <param name="trainData">The batchified training split.</param>
    /// <param name="o">The options (batch size, bptt, clip, log interval).</param>
    /// <param name="epoch">The epoch number, for the progress lines.</param>
    /// <param name="lr">The learning rate.</param>
    /// <param name="view">Where the progress lines and bar go.</param>
    /// <param name="record">Receives every batch's loss and gradient norm.</param>
    /// <param name="cancel">Stops after the current batch (Ctrl+C).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was signalled.</exception>
    public static void TrainEpoch(RNNModel model, Tensor trainData, TrainOptions o, int epoch, double lr,
        IProgressView view, List<BatchRecord> record, CancellationToken cancel = default)
    {
        model.train();
        var parameters = model.parameters().ToArray(); // a tied weight once, as in PyTorch
        var progress = new EpochProgress(view, o, epoch, trainData, lr);
        var hidden = model.init_hidden(o.BatchSize);
        var batch = 0;
        for (long i = 0; i < trainData.size(0) - 1; i += o.Bptt, batch++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var (data, targets) = GetBatch(trainData, i, o.Bptt);
            // Starting each batch, we detach the hidden state from how it was previously produced; otherwise the
            // model would backpropagate all the way to the start of the dataset.
            model.zero_grad();
            var input = hidden.detach();
            hidden.Dispose();
            var (output, next) = model.call(data, input);
            hidden = next.MoveToOuterDisposeScope();
            var loss = torch.nn.functional.nll_loss(output, targets);
            loss.backward();

            // clip_grad_norm_ helps prevent the exploding gradient problem in RNNs and LSTMs.
            var norm = torch.nn.utils.clip_grad_norm_(parameters, o.Clip);
            using (torch.no_grad())
            {
                foreach (var p in parameters) p.add_(p.grad!, alpha: -lr);
            }

            var value = (double)loss.item<float>();
            record.Add(new BatchRecord(epoch, batch, value, norm));
            progress.Batch(batch, value);
        }
        hidden.Dispose();
    }

    /// <summary>
    /// main.py's progress in <c>train</c>: the bar's status every batch, and every log interval a line with the mean
    /// loss and the milliseconds per batch since the last line.
    /// </summary>
    internal sealed class EpochProgress
    {
        private readonly IProgressView view;
        private readonly TrainOptions o;
        private readonly int epoch;
        private readonly double lr;
        private readonly long batches;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private double totalLoss;

        /// <summary>Starts the epoch's bar.</summary>
        public EpochProgress(IProgressView view, TrainOptions o, int epoch, Tensor trainData, double lr)
        {
            (this.view, this.o, this.epoch, this.lr) = (view, o, epoch, lr);
            batches = trainData.size(0) / o.Bptt;
            view.Start($"epoch {epoch}", Chunks(trainData, o.Bptt));
        }

        /// <summary>Counts a batch's (raw) loss; prints the line when the log interval is complete.</summary>
        public void Batch(int batch, double loss)
        {
            totalLoss += loss;
            view.Advance($"epoch {epoch} | lr {lr.ToString("0.00", Inv)} | loss {loss.ToString("0.00", Inv)}");
            if (batch % o.LogInterval != 0 || batch == 0) return;
            var curLoss = totalLoss / o.LogInterval;
            var elapsed = clock.Elapsed.TotalMilliseconds;
            view.Line(string.Create(Inv,
                $"| epoch {epoch,3} | {batch,5}/{batches,5} batches | lr {lr:0.00} | ms/batch {elapsed / o.LogInterval,5:0.00} | loss {curLoss,5:0.00} | ppl {Math.Exp(curLoss),8:0.00}"));
            totalLoss = 0;
            clock.Restart();
        }
    }

    /// <summary>
    /// main.py from start to end: seed, data, model, the epochs with the learning-rate schedule and the best model
    /// saved to <see cref="TrainOptions.Save"/>, then the test loss of the best model.
    /// </summary>
    /// <param name="o">The options.</param>
    /// <param name="view">Where the progress lines and bars go.</param>
    /// <param name="cancel">Ends training early (Ctrl+C), as main.py's KeyboardInterrupt does; the test still runs.</param>
    /// <returns>Every batch's loss and gradient norm, every epoch's validation loss, and the test loss.</returns>
    /// <exception cref="ArgumentException">An unknown model type, or tied weights with nhid other than emsize.</exception>
    /// <exception cref="System.IO.FileNotFoundException">The data folder lacks a split.</exception>
    public static TrainResult Run(TrainOptions o, IProgressView view, CancellationToken cancel = default)
    {
        using var scope = torch.NewDisposeScope(); // the corpus, its batches and every temporary of the run
        // 1. Seed and threads. The seed makes the weights and every dropout mask PyTorch's.
        torch.manual_seed(o.Seed);
        if (o.Threads > 0) torch.set_num_threads(o.Threads);
        view.Line("Using device: cpu");

        // 2. The corpus, arranged into columns: batchify turns the text a..x with 4 columns into
        //    rows (a g m s), (b h n t), ...; each column is an independent stream.
        var corpus = new Corpus(o.Data, o.MaxTokens);
        if (!corpus.HasTrainingSplit) view.Line($"No train.txt in {o.Data}: training on valid.txt");
        var trainData = Batchify(corpus.Train, o.BatchSize);
        var valData = Batchify(corpus.Valid, EvalBatchSize);
        var testData = Batchify(corpus.Test, EvalBatchSize);

        // 3. The model. Its construction draws what PyTorch's draws, in the same order.
        var ntokens = corpus.Dictionary.Count;
        if (o.Model == AwdTrainer.ModelName) return AwdTrainer.Run(o, ntokens, trainData, valData, testData, view, cancel);
        using var model = new RNNModel(o.Model, ntokens, o.Emsize, o.Nhid, o.Nlayers, o.Dropout, o.Tied);

        // 4. The epochs: save the model whenever validation improves, otherwise anneal the learning rate.
        var lr = o.Lr;
        double? bestValLoss = null;
        var batches = new List<BatchRecord>();
        var epochs = new List<EpochRecord>();
        try
        {
            for (var epoch = 1; epoch <= o.Epochs; epoch++)
            {
                var epochStart = Stopwatch.StartNew();
                TrainEpoch(model, trainData, o, epoch, lr, view, batches, cancel);
                var trainSeconds = epochStart.Elapsed.TotalSeconds;
                var valLoss = Evaluate(model, valData, o.Bptt, view, $"epoch {epoch} validation");
                var seconds = epochStart.Elapsed.TotalSeconds;
                epochs.Add(new EpochRecord(epoch, lr, valLoss, seconds, trainSeconds));
                EndOfEpoch(view, epoch, seconds, valLoss);
                if (bestValLoss is not { } best || valLoss < best)
                {
                    Checkpoint.save(model, o.Save);
                    bestValLoss = valLoss;
                }
                else
                {
                    lr /= 4.0;
                }
            }
        }
        catch (OperationCanceledException)
        {
            ExitingEarly(view);
        }

        // 5. The best model on the test split.
        if (bestValLoss is not null) Checkpoint.load(model, o.Save);
        var testLoss = Evaluate(model, testData, o.Bptt, view, "test");
        EndOfTraining(view, testLoss);
        return new TrainResult(batches, epochs, testLoss, ntokens);
    }

    /// <summary>main.py's lines after an epoch's validation.</summary>
    internal static void EndOfEpoch(IProgressView view, int epoch, double seconds, double valLoss)
    {
        view.Line(new string('-', 89));
        view.Line(string.Create(Inv,
            $"| end of epoch {epoch,3} | time: {seconds,5:0.00}s | valid loss {valLoss,5:0.00} | valid ppl {Math.Exp(valLoss),8:0.00}"));
        view.Line(new string('-', 89));
    }

    /// <summary>main.py's lines on Ctrl+C (KeyboardInterrupt).</summary>
    internal static void ExitingEarly(IProgressView view)
    {
        view.Line(new string('-', 89));
        view.Line("Exiting from training early");
    }

    /// <summary>main.py's lines with the test loss.</summary>
    internal static void EndOfTraining(IProgressView view, double testLoss)
    {
        view.Line(new string('=', 89));
        view.Line(string.Create(Inv, $"| End of training | test loss {testLoss,5:0.00} | test ppl {Math.Exp(testLoss),8:0.00}"));
        view.Line(new string('=', 89));
    }
}

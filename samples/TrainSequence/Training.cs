using System;
using System.Collections.Generic;
using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn.Samples;

/// <summary>One training run's settings; every field is a command-line switch of the sample.</summary>
/// <param name="Cell"><c>rnn</c> (tanh), <c>lstm</c> or <c>gru</c>.</param>
/// <param name="Epochs">Passes of <paramref name="BatchesPerEpoch"/> fresh batches each.</param>
/// <param name="BatchesPerEpoch">Batches (optimizer steps) per epoch; the data are drawn afresh, so no batch repeats.</param>
/// <param name="BatchSize">Sequences per batch.</param>
/// <param name="Length">Steps per sequence (L).</param>
/// <param name="Delay">How many steps before the end the symbol to recall appears (1 ≤ Delay ≤ Length).</param>
/// <param name="Symbols">How many symbols there are (K); guessing scores 1/K.</param>
/// <param name="Noise">The chance that an unmarked step shows a distracting symbol rather than nothing (zeros).</param>
/// <param name="Hidden">The recurrent layer's hidden size.</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="ClipNorm">When positive, <c>clip_grad_norm_</c> to this total norm before every step.</param>
/// <param name="WeightDecay">Adam's L2 penalty (<c>weight_decay</c>).</param>
/// <param name="Tbptt">When positive, truncated BPTT over chunks of this many steps, the state carried detached.</param>
/// <param name="GateBias">
/// Gated cells only: added to both biases of the gate that keeps the old state (LSTM's forget gate f, GRU's update
/// gate z), so it starts open, at about sigmoid(2 * GateBias), instead of at 0.5 (as GradientFlow measures).
/// </param>
/// <param name="Seed">Seeds the weights and the data.</param>
/// <param name="Device"><c>cpu</c> or <c>cuda</c>.</param>
public sealed record TrainOptions(
    string Cell = "lstm",
    int Epochs = 6,
    int BatchesPerEpoch = 50,
    int BatchSize = 32,
    int Length = 50,
    int Delay = 50,
    int Symbols = 4,
    double Noise = 1.0,
    int Hidden = 32,
    double LearningRate = 0.01,
    double ClipNorm = 0,
    double WeightDecay = 0,
    int Tbptt = 0,
    double GateBias = 2.0,
    long Seed = 0,
    string Device = "cpu");

/// <summary>One epoch's figures.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="Loss">Mean training cross-entropy over the epoch's batches.</param>
/// <param name="Accuracy">Accuracy on the held-out set after the epoch.</param>
/// <param name="GradNorm">The largest total gradient norm of the epoch, before any clipping.</param>
public sealed record EpochResult(int Epoch, double Loss, double Accuracy, double GradNorm);

/// <summary>A finished run.</summary>
/// <param name="Options">What was run.</param>
/// <param name="Epochs">Per-epoch figures.</param>
/// <param name="BatchLosses">The training loss of every batch, in order.</param>
/// <param name="Seconds">Wall-clock time of the run.</param>
public sealed record RunResult(TrainOptions Options, IReadOnlyList<EpochResult> Epochs, IReadOnlyList<double> BatchLosses, double Seconds)
{
    /// <summary>The held-out accuracy after the last epoch.</summary>
    public double FinalAccuracy => Epochs[^1].Accuracy;

    /// <summary>The mean training loss of the last epoch.</summary>
    public double FinalLoss => Epochs[^1].Loss;

    /// <summary>Guessing's accuracy, 1/K.</summary>
    public double Chance => 1.0 / Options.Symbols;
}

/// <summary>
/// Delayed recall: every step shows a random symbol (one-hot of K) and a marker bit; the marker is set on exactly one
/// step, <c>Delay</c> steps before the end, and the answer at the last step is the symbol shown there. Everything
/// else is distraction, so the state must hold one symbol across <c>Delay</c> steps of noise.
/// </summary>
public static class RecallTask
{
    /// <summary>
    /// Draws a batch: inputs (L, N, K + 1), time first as <c>nn.RNN</c> reads them, and targets (N) in [0, K).
    /// </summary>
    public static (Tensor Inputs, Tensor Targets) Batch(int batchSize, int length, int delay, int symbols, double noiseRate,
        torch.Generator generator, Device? device = null)
    {
        if (delay < 1 || delay > length) throw new ArgumentOutOfRangeException(nameof(delay), delay, $"must be in [1, {length}]");
        using var scope = torch.NewDisposeScope();
        var noise = torch.randint(0, symbols, [length, batchSize], generator: generator, dtype: ScalarType.Int64);
        var targets = noise[length - delay].clone();
        var shown = torch.nn.functional.one_hot(noise, symbols).to(ScalarType.Float32);
        if (noiseRate < 1)
            shown *= (torch.rand([length, batchSize, 1], generator: generator) < noiseRate).to(ScalarType.Float32);
        shown[length - delay] = torch.nn.functional.one_hot(targets, symbols).to(ScalarType.Float32);
        var marker = torch.zeros(length, batchSize, 1);
        marker[length - delay] = 1.0f;
        var inputs = torch.cat([shown, marker], 2);
        return (inputs.to(device ?? torch.CPU).MoveToOuterDisposeScope(), targets.to(device ?? torch.CPU).MoveToOuterDisposeScope());
    }
}

/// <summary>A recurrent layer and a linear read-out of its last output: the model every run trains.</summary>
public sealed class RecallModel : nn.Module<Tensor, Tensor>
{
    // Fields, as in PyTorch: RegisterComponents names the children rnn and head after them.
    private readonly RNNBase rnn;
    private readonly Linear head;

    /// <summary>Builds the cell's layer (one layer, time first) and the read-out to <paramref name="symbols"/> classes.</summary>
    public RecallModel(string cell, int symbols, int hidden, double gateBias = 0, Device? device = null) : base(nameof(RecallModel))
    {
        Cell = cell;
        // One type for the three layers (PyTorch's nn.RNNBase), built from PyTorch's mode string.
        var mode = cell switch
        {
            "rnn" => "RNN_TANH",
            "lstm" => "LSTM",
            "gru" => "GRU",
            _ => throw new ArgumentException($"cell must be rnn, lstm or gru, got '{cell}'", nameof(cell)),
        };
        rnn = nn.RNNBase(mode, symbols + 1, hidden, device: device);
        if (cell != "rnn" && gateBias != 0)
        {
            using var noGrad = torch.no_grad();
            // Gate blocks: LSTM i, f, g, o and GRU r, z, n; block 1 (f or z) keeps the old state.
            foreach (var name in new[] { "bias_ih_l0", "bias_hh_l0" })
                rnn.get_parameter(name)!.narrow(0, hidden, hidden).add_(gateBias);
        }
        head = nn.Linear(hidden, symbols, device: device);
        RegisterComponents();
    }

    /// <summary><c>rnn</c>, <c>lstm</c> or <c>gru</c>.</summary>
    public string Cell { get; }

    /// <summary>The recurrent layer: an RNN, LSTM or GRU.</summary>
    public RNNBase Rnn => rnn;

    /// <summary>The read-out of the last step's output: hidden to class scores.</summary>
    public Linear Head => head;

    /// <summary>Class scores (N, K) at the last step of (L, N, K + 1), from zero state.</summary>
    public override Tensor forward(Tensor input) => head.call(rnn.call(input).output[-1]);
}

/// <summary>Trains a <see cref="RecallModel"/> on <see cref="RecallTask"/> with the remedies as options.</summary>
public static class Trainer
{
    /// <summary>The held-out set's size.</summary>
    public const int TestSize = 512;

    /// <summary>
    /// Trains one run. <paramref name="onBatch"/> is called after every batch with (epoch, batch index, loss) and
    /// <paramref name="onEpoch"/> after every epoch, for progress display.
    /// </summary>
    public static RunResult Train(TrainOptions o, Action<int, int, double>? onBatch = null, Action<EpochResult>? onEpoch = null)
    {
        var device = o.Device == "cuda" ? torch.CUDA : torch.CPU;
        var clock = Stopwatch.StartNew();
        torch.manual_seed(o.Seed);
        using var model = new RecallModel(o.Cell, o.Symbols, o.Hidden, o.GateBias, device);
        using var data = new torch.Generator((ulong)o.Seed);
        using var testGenerator = new torch.Generator((ulong)o.Seed + 1_000_003);
        var (testX, testY) = RecallTask.Batch(TestSize, o.Length, o.Delay, o.Symbols, o.Noise, testGenerator, device);
        using var optimizer = torch.optim.Adam(model.parameters(), o.LearningRate, weight_decay: o.WeightDecay);

        var epochs = new List<EpochResult>();
        var losses = new List<double>();
        for (var epoch = 1; epoch <= o.Epochs; epoch++)
        {
            model.train();
            var sum = 0.0;
            var maxNorm = 0.0;
            for (var b = 0; b < o.BatchesPerEpoch; b++)
            {
                using var scope = torch.NewDisposeScope();
                var (x, y) = RecallTask.Batch(o.BatchSize, o.Length, o.Delay, o.Symbols, o.Noise, data, device);
                var (loss, norm) = TrainBatch(model, optimizer, x, y, o);
                sum += loss;
                maxNorm = Math.Max(maxNorm, norm);
                losses.Add(loss);
                onBatch?.Invoke(epoch, b, loss);
            }
            var result = new EpochResult(epoch, sum / o.BatchesPerEpoch, Accuracy(model, testX, testY), maxNorm);
            epochs.Add(result);
            onEpoch?.Invoke(result);
        }
        testX.Dispose();
        testY.Dispose();
        return new RunResult(o, epochs, losses, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// One optimizer step on a batch: full BPTT, or with <c>Tbptt</c> = k the chunks of k steps in turn, each starting
    /// from the previous chunk's state detached (the loss sits at the last step, so only the last chunk has a
    /// gradient, and it reaches back k steps at most). Returns the loss and the gradient norm before clipping.
    /// </summary>
    public static (double Loss, double GradNorm) TrainBatch(RecallModel model, torch.optim.Optimizer optimizer, Tensor x, Tensor y, TrainOptions o)
    {
        var (rnn, head, parameters, tbptt, clipNorm) = (model.Rnn, model.Head, model.parameters(), o.Tbptt, o.ClipNorm);
        optimizer.zero_grad();
        var length = (int)x.shape[0];
        var chunk = tbptt > 0 ? tbptt : length;
        HiddenState? state = null;
        Tensor? output = null;
        // The last chunk ends at the last step; earlier chunks only move the state on (they hold no loss).
        for (var end = length % chunk == 0 ? chunk : length % chunk; end <= length; end += chunk)
        {
            // detach(): the next chunk starts from this state's values, not its graph (truncated BPTT).
            (output, state) = rnn.call(x[Math.Max(0, end - chunk)..end], state?.detach());
        }
        var loss = nn.functional.cross_entropy(head.call(output![-1]), y);
        loss.backward();
        // clip_grad_norm_ returns the total norm before clipping; with max_norm = ∞ it only measures.
        var norm = nn.utils.clip_grad_norm_(parameters, clipNorm > 0 ? clipNorm : double.PositiveInfinity);
        optimizer.step();
        return (loss.item<float>(), norm);
    }

    /// <summary>The fraction of <paramref name="targets"/> the model's last-step argmax gets right.</summary>
    public static double Accuracy(RecallModel model, Tensor inputs, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        model.eval();
        var right = model.call(inputs).argmax(1).eq(targets).to(ScalarType.Float64).mean().item<double>();
        model.train();
        return right;
    }
}

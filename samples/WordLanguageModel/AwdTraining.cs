// main.py's --model AWD: awd-lstm-lm's training. Each batch's raw loss is logged and loss + AR + TAR backpropagated;
// the gradient is clipped; torch.optim.SGD with weight decay steps until NT-ASGD's non-monotone test fires, then
// torch.optim.ASGD(t0 = 0, lambd = 0), with evaluation and saving on its averaged weights from there on.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using TorchRnn.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>One AWD training batch's terms, as awd's main.py computes them.</summary>
/// <param name="RawLoss">The mean negative log-likelihood (what is logged and recorded).</param>
/// <param name="Ar">Activation regularisation: alpha times the mean square of the last layer's dropped output (0 when alpha is 0).</param>
/// <param name="Tar">Temporal activation regularisation: beta times the mean square of the last layer's raw output's steps (0 when beta is 0).</param>
/// <param name="Loss">RawLoss + Ar + Tar: what is backpropagated.</param>
/// <param name="GradNorm">The total gradient norm before clipping.</param>
public sealed record AwdBatchTerms(double RawLoss, double Ar, double Tar, double Loss, double GradNorm);

/// <summary>main.py's training of <c>--model AWD</c>, and its parts.</summary>
public static class AwdTrainer
{
    /// <summary>The <c>--model</c> value of the AWD-LSTM.</summary>
    public const string ModelName = "AWD";

    /// <summary>Builds the model of <paramref name="o"/> as main.py does: awd's sizes and dropouts, tied always.</summary>
    /// <param name="o">The options.</param>
    /// <param name="ntokens">The vocabulary size.</param>
    /// <returns>The model, drawn from the global generator.</returns>
    public static AWDModel Model(TrainOptions o, long ntokens) =>
        new(ntokens, o.Emsize, o.Nhid, o.Nlayers, o.Dropout, o.Dropouth, o.Dropouti, o.Dropoute, o.Wdrop, tieWeights: true);

    /// <summary>
    /// main.py's <c>train</c> for AWD: one epoch of truncated BPTT from a zero state; each batch backpropagates
    /// loss + AR + TAR, clips the gradient to <c>--clip</c> and takes <paramref name="optimizer"/>'s step.
    /// </summary>
    /// <param name="model">The model; it is put in training mode.</param>
    /// <param name="optimizer">SGD, or ASGD once averaging has started; over <paramref name="parameters"/>.</param>
    /// <param name="parameters">The model's parameters (a tied weight once), which are clipped.</param>
    /// <param name="trainData">The batchified training split.</param>
    /// <param name="o">The options (batch size, bptt, clip, alpha, beta, log interval, lr for the lines).</param>
    /// <param name="epoch">The epoch number.</param>
    /// <param name="view">Where the progress lines and bar go.</param>
    /// <param name="record">Receives every batch's raw loss and gradient norm.</param>
    /// <param name="terms">Receives every batch's terms when given.</param>
    /// <param name="cancel">Stops after the current batch (Ctrl+C).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was signalled.</exception>
    public static void TrainEpoch(AWDModel model, torch.optim.Optimizer optimizer, IReadOnlyList<Parameter> parameters, Tensor trainData,
        TrainOptions o, int epoch, IProgressView view, List<BatchRecord> record, List<AwdBatchTerms>? terms = null,
        CancellationToken cancel = default)
    {
        model.train();
        var progress = new Trainer.EpochProgress(view, o, epoch, trainData, o.Lr);
        var hidden = model.init_hidden(o.BatchSize);
        var batch = 0;
        for (long i = 0; i < trainData.size(0) - 1; i += o.Bptt, batch++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var (data, targets) = Trainer.GetBatch(trainData, i, o.Bptt);
            model.zero_grad();
            var input = hidden.Select(h => h.detach()).ToArray();
            Dispose(hidden);
            var result = model.call(data, input);
            hidden = Keep(result.hidden);
            var (loss, rawLoss, ar, tar) = Loss(result, targets, o.Alpha, o.Beta);
            loss.backward();

            var norm = torch.nn.utils.clip_grad_norm_(parameters, o.Clip);
            optimizer.step();

            var value = (double)rawLoss.item<float>();
            record.Add(new BatchRecord(epoch, batch, value, norm));
            terms?.Add(new AwdBatchTerms(value, Item(ar), Item(tar), loss.item<float>(), norm));
            progress.Batch(batch, value);
        }
        Dispose(hidden);
    }

    /// <summary>main.py's training loss: the NLL of the output (the raw loss, which is logged), + AR of the last layer's
    /// dropped output when <paramref name="alpha"/> is set, + TAR of its raw output when <paramref name="beta"/> is,
    /// added in that order as awd adds them.</summary>
    /// <param name="result">A training forward's output.</param>
    /// <param name="targets">(L * N) the next words.</param>
    /// <param name="alpha">AR's factor; 0 leaves the term out.</param>
    /// <param name="beta">TAR's factor; 0 leaves the term out.</param>
    /// <returns>The loss to backpropagate, the raw loss, and the AR and TAR terms (null when left out).</returns>
    public static (Tensor loss, Tensor raw, Tensor? ar, Tensor? tar) Loss(AWDOutput result, Tensor targets, double alpha, double beta)
    {
        var raw = F.nll_loss(result.output, targets);
        var loss = raw;
        var ar = alpha != 0 ? nn.functional.activation_regularization(result.outputs[^1], alpha) : null;
        if (ar is not null) loss = loss + ar;
        var tar = beta != 0 ? nn.functional.temporal_activation_regularization(result.raw_outputs[^1], beta) : null;
        if (tar is not null) loss = loss + tar;
        return (loss, raw, ar, tar);
    }

    /// <summary>main.py's <c>evaluate</c>: the mean loss per token over a split, in evaluation mode (no dropout).</summary>
    /// <param name="model">The model; it is left in evaluation mode.</param>
    /// <param name="dataSource">A batchified split (its columns are the batch).</param>
    /// <param name="bptt">The chunk length.</param>
    /// <param name="view">Shows a bar for the chunks when given.</param>
    /// <param name="label">The bar's label.</param>
    /// <returns>The loss (its exponential is the perplexity).</returns>
    public static double Evaluate(AWDModel model, Tensor dataSource, long bptt, IProgressView? view = null, string label = "evaluate") =>
        Trainer.Evaluate(model, dataSource, bptt, model.init_hidden,
            (data, hidden) =>
            {
                var result = model.call(data, hidden);
                return (result.output, result.hidden);
            }, Keep, Dispose, view, label);

    /// <summary>
    /// main.py's <c>swap_in_averages</c>: puts ASGD's averages (its state's <c>ax</c>) in the parameters, as
    /// <c>prm.data = optimizer.state[prm]['ax'].clone()</c> does.
    /// </summary>
    /// <remarks>
    /// TorchSharp's ASGD keeps PyTorch 1.13's state (step, eta, mu, ax) and update, and exposes it through
    /// <c>state_dict().State</c> in the order of its parameters, so its <c>ax</c> is PyTorch's.
    /// </remarks>
    /// <param name="optimizer">The ASGD over <paramref name="parameters"/>.</param>
    /// <param name="parameters">The parameters, in the order the optimiser was given them.</param>
    /// <returns>Copies of the trained values, for <see cref="Restore"/>.</returns>
    public static Tensor[] SwapInAverages(ASGD optimizer, IReadOnlyList<Parameter> parameters)
    {
        var averages = optimizer.state_dict().State.Cast<ASGD.State>().Select(s => s.ax).ToArray();
        using var noGrad = torch.no_grad();
        var trained = parameters.Select(p => p.detach().clone()).ToArray();
        for (var i = 0; i < parameters.Count; i++) parameters[i].copy_(averages[i]);
        return trained;
    }

    /// <summary>Puts the trained values back after evaluating the averages, and disposes the copies.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="trained">What <see cref="SwapInAverages"/> returned.</param>
    public static void Restore(IReadOnlyList<Parameter> parameters, Tensor[] trained)
    {
        using var noGrad = torch.no_grad();
        for (var i = 0; i < parameters.Count; i++) parameters[i].copy_(trained[i]);
        foreach (var t in trained) t.Dispose();
    }

    /// <summary>
    /// NT-ASGD's non-monotone trigger: the validation loss is above the best of all epochs but the last
    /// <paramref name="nonmono"/> (awd's <c>len(best_val_loss) &gt; nonmono and val_loss &gt; min(best_val_loss[:-nonmono])</c>).
    /// </summary>
    /// <param name="history">The validation losses of the epochs before this one (since training began, while not averaging).</param>
    /// <param name="valLoss">This epoch's validation loss.</param>
    /// <param name="nonmono">The window.</param>
    /// <returns>Whether to switch to ASGD.</returns>
    public static bool NonMonotone(IReadOnlyList<double> history, double valLoss, int nonmono) =>
        history.Count > nonmono && valLoss > history.Take(history.Count - nonmono).Min();

    /// <summary>main.py's epochs for AWD, then the test loss of the best (saved) model.</summary>
    internal static TrainResult Run(TrainOptions o, int ntokens, Tensor trainData, Tensor valData, Tensor testData,
        IProgressView view, CancellationToken cancel)
    {
        using var model = Model(o, ntokens);
        var parameters = model.parameters().ToArray(); // a tied weight once, as in PyTorch
        torch.optim.Optimizer optimizer = torch.optim.SGD(parameters, o.Lr, weight_decay: o.Wdecay);
        ASGD? averaging = null;
        double? bestValLoss = null;
        var valHistory = new List<double>(); // awd's best_val_loss list: the epochs before the switch
        var batches = new List<BatchRecord>();
        var epochs = new List<EpochRecord>();
        try
        {
            for (var epoch = 1; epoch <= o.Epochs; epoch++)
            {
                var epochStart = Stopwatch.StartNew();
                TrainEpoch(model, optimizer, parameters, trainData, o, epoch, view, batches, cancel: cancel);
                var trainSeconds = epochStart.Elapsed.TotalSeconds;
                var trained = averaging is not null ? SwapInAverages(averaging, parameters) : null;
                var valLoss = Evaluate(model, valData, o.Bptt, view, $"epoch {epoch} validation");
                var seconds = epochStart.Elapsed.TotalSeconds;
                epochs.Add(new EpochRecord(epoch, o.Lr, valLoss, seconds, trainSeconds, trained is not null));
                Trainer.EndOfEpoch(view, epoch, seconds, valLoss);
                // Saved with the averages in, once averaging has started; no annealing: NT-ASGD replaces it.
                if (bestValLoss is not { } best || valLoss < best)
                {
                    Checkpoint.save(model, o.Save);
                    bestValLoss = valLoss;
                }
                if (trained is not null)
                {
                    Restore(parameters, trained);
                    continue;
                }
                if (NonMonotone(valHistory, valLoss, o.Nonmono))
                {
                    view.Line("Switching to ASGD");
                    optimizer.Dispose();
                    optimizer = averaging = torch.optim.ASGD(parameters, o.Lr, lambd: 0, t0: 0, weight_decay: o.Wdecay);
                }
                valHistory.Add(valLoss);
            }
        }
        catch (OperationCanceledException)
        {
            Trainer.ExitingEarly(view);
        }
        finally
        {
            optimizer.Dispose();
        }

        if (bestValLoss is not null) Checkpoint.load(model, o.Save);
        var testLoss = Evaluate(model, testData, o.Bptt, view, "test");
        Trainer.EndOfTraining(view, testLoss);
        return new TrainResult(batches, epochs, testLoss, ntokens);
    }

    private static double Item(Tensor? term) => term is null ? 0 : term.item<float>();

    /// <summary>The states detached and moved out of the batch's dispose scope.</summary>
    private static HiddenState[] Keep(HiddenState[] hidden) => hidden.Select(h => h.detach().MoveToOuterDisposeScope()).ToArray();

    private static void Dispose(HiddenState[] hidden)
    {
        foreach (var h in hidden) h.Dispose();
    }
}

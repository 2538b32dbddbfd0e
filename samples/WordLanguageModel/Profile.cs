// The pieces of a training batch and of a generation step at the sample's default sizes, timed one by one:
// where the time goes, beside pytorch/profile_steps.py, which times the same pieces in PyTorch (bench.py --profile runs
// both and writes the table).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TorchSharp;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Samples.LanguageModel;

/// <summary>The <c>profile</c> command: median milliseconds of each piece of the work.</summary>
public static class Profiler
{
    /// <summary>
    /// Times, on the sample's defaults (vocabulary 18,328, 200 units, 2 LSTM layers, bptt 35, batch 20): a whole
    /// training batch, its forward pieces, the decoder's and the LSTM's forward and backward, clipping and the SGD
    /// update; then a whole generation step and its pieces. Weights and inputs are random (speed does not depend on
    /// them).
    /// </summary>
    /// <param name="threads">LibTorch's intra-op threads; 0 keeps the default.</param>
    /// <returns>Each piece's name and median time in milliseconds, in order.</returns>
    public static IReadOnlyList<(string Name, double Milliseconds)> Run(int threads)
    {
        if (threads > 0) torch.set_num_threads(threads);
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        const long V = 18328, H = 200, L = 35, N = 20;
        var emb = torch.nn.Embedding(V, H);
        var rnn = nn.LSTM(H, H, 2, dropout: 0.2);
        var dec = torch.nn.Linear(H, V);
        var ps = emb.parameters().Concat(rnn.parameters()).Concat(dec.parameters()).ToArray();
        var data = torch.randint(V, [L, N]);
        var target = torch.randint(V, [L * N]);
        var h0 = (torch.zeros(2, N, H), torch.zeros(2, N, H));
        var x0 = torch.randn(L, N, H);
        var o0 = torch.randn(L, N, H);
        var times = new List<(string, double)>();
        void Time(string name, Action piece, int n = 20)
        {
            for (var i = 0; i < 3; i++)
            {
                using var warm = torch.NewDisposeScope();
                piece();
            }
            var samples = new List<double>();
            for (var i = 0; i < n; i++)
            {
                using var step = torch.NewDisposeScope();
                var clock = Stopwatch.StartNew();
                piece();
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }
            samples.Sort();
            times.Add((name, samples[n / 2]));
        }

        rnn.train();
        Time("training batch (whole)", () =>
        {
            foreach (var p in ps) p.grad = null;
            var (output, _) = rnn.call(F.dropout(emb.call(data), 0.2, true), h0);
            var loss = F.nll_loss(F.log_softmax(dec.call(F.dropout(output, 0.2, true)).view(-1, V), 1), target);
            loss.backward();
            torch.nn.utils.clip_grad_norm_(ps, 0.25);
            using (torch.no_grad()) foreach (var p in ps) p.add_(p.grad!, alpha: -20);
        });
        using (torch.no_grad())
        {
            Time("embedding + dropout", () => F.dropout(emb.call(data), 0.2, true));
            Time("LSTM forward, 35 steps", () => rnn.call(x0, h0));
            Time("decoder forward (700 x 200 x 18328)", () => dec.call(o0));
            var logits = dec.call(o0).view(-1, V);
            Time("log_softmax", () => F.log_softmax(logits, 1));
            var logProbabilities = F.log_softmax(logits, 1);
            Time("nll_loss", () => F.nll_loss(logProbabilities, target));
        }
        Time("decoder + log_softmax + nll, forward and backward", () =>
        {
            var o = o0.clone().requires_grad_();
            F.nll_loss(F.log_softmax(dec.call(o).view(-1, V), 1), target).backward();
        });
        Time("LSTM forward and backward, 35 steps", () =>
        {
            var (output, _) = rnn.call(x0.clone().requires_grad_(), h0);
            output.sum().backward();
        });
        foreach (var p in ps) p.grad = torch.randn_like(p);
        Time("clip_grad_norm_", () => torch.nn.utils.clip_grad_norm_(ps, 0.25));
        Time("SGD update", () =>
        {
            using (torch.no_grad()) foreach (var p in ps) p.add_(p.grad!, alpha: -20);
        });

        rnn.eval();
        using (torch.no_grad())
        {
            var word = torch.zeros([1, 1], dtype: torch.int64);
            var hidden = (torch.zeros(2, 1, H), torch.zeros(2, 1, H));
            Time("generation step (whole)", () =>
            {
                var (output, _) = rnn.call(emb.call(word), hidden);
                var weights = F.log_softmax(dec.call(output).view(-1, V), 1).squeeze().div(1.0).exp();
                torch.multinomial(weights, 1)[0].item<long>();
            }, 200);
            var embedded = emb.call(word);
            Time("generation: LSTM, one step", () => rnn.call(embedded, hidden), 200);
            var h = torch.randn(1, 1, H);
            Time("generation: decoder", () => dec.call(h), 200);
            var row = dec.call(h).view(-1, V);
            Time("generation: log_softmax", () => F.log_softmax(row, 1), 200);
            var logRow = F.log_softmax(row, 1).squeeze();
            Time("generation: div + exp", () => logRow.div(1.0).exp(), 200);
            var weightsRow = logRow.exp();
            Time("generation: multinomial", () => torch.multinomial(weightsRow, 1)[0].item<long>(), 200);
        }
        return times;
    }
}

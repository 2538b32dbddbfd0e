using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Samples;

/// <summary>One recurrent cell set up to show one behaviour of the gradient through time.</summary>
/// <param name="Name">Short label for tables, the chart and tests.</param>
/// <param name="Cell"><c>rnn</c> (tanh), <c>lstm</c> or <c>gru</c>.</param>
/// <param name="RecurrentGain">
/// For <c>rnn</c>: W_hh is this gain times a random orthogonal matrix, so every singular value equals the gain and
/// biases are zero. Ignored for gated cells, which keep PyTorch's initialisation.
/// </param>
/// <param name="InputScale">The inputs are N(0, 1) times this; tiny inputs keep tanh in its linear range.</param>
/// <param name="GateBias">
/// Gated cells only: added to the gate that keeps the old state (LSTM's forget gate f, GRU's update gate z) in
/// both bias vectors, so the gate opens at about sigmoid(2 * GateBias) instead of sigmoid(0) = 0.5.
/// </param>
/// <param name="Description">What the case shows, in words.</param>
public sealed record FlowCase(string Name, string Cell, double RecurrentGain, double InputScale, double GateBias, string Description);

/// <summary>What <see cref="GradientFlow.Measure"/> found for one case.</summary>
/// <param name="Case">The case measured.</param>
/// <param name="Norms">‖∂L/∂h_t‖ indexed by the distance d = T − t (d = 0 is the last step, where ‖∂L/∂h_T‖ = 1).</param>
/// <param name="Factor">The per-step factor fitted to the norms (see <see cref="GradientFlow.FitFactor"/>).</param>
public sealed record FlowResult(FlowCase Case, double[] Norms, double Factor);

/// <summary>
/// Measures how the gradient of a loss at the last step reaches each earlier hidden state: ‖∂L/∂h_t‖ against the
/// distance T − t, for plain and gated cells run step by step.
/// </summary>
public static class GradientFlow
{
    /// <summary>The cases the sample prints and charts.</summary>
    public static IReadOnlyList<FlowCase> Cases { get; } =
    [
        new("rnn 0.9", "rnn", 0.9, 1e-6, 0,
            "tanh RNN, W_hh = 0.9 x orthogonal, inputs 1e-6: tanh' ~ 1, so each step multiplies the gradient by W_hh^T, norm 0.9"),
        new("rnn 1.1", "rnn", 1.1, 1e-6, 0,
            "tanh RNN, W_hh = 1.1 x orthogonal, inputs 1e-6: still linear, each step multiplies by 1.1: exploding"),
        new("rnn 1.1 saturated", "rnn", 1.1, 1.0, 0,
            "the same weights with N(0, 1) inputs: tanh saturates, tanh' << 1 damps every step, so the explosion stalls"),
        new("lstm", "lstm", 0, 1.0, 0,
            "LSTM as PyTorch initialises it: the forget gate sits near sigmoid(0) = 0.5, so the cell state halves each step"),
        new("lstm forget+2", "lstm", 0, 1.0, 2.0,
            "LSTM with +2 on the forget gate's two biases (f ~ sigmoid(4) = 0.98): the cell state carries the gradient"),
        new("gru", "gru", 0, 1.0, 0,
            "GRU as PyTorch initialises it: the update gate z sits near 0.5"),
        new("gru update+2", "gru", 0, 1.0, 2.0,
            "GRU with +2 on the update gate's two biases (z ~ 0.98): h_t = z h_(t-1) + ... passes the gradient on"),
    ];

    /// <summary>
    /// Runs the case's cell for <paramref name="steps"/> steps on seeded random input (batch 1), takes the loss
    /// L = w · h_T for a fixed random unit vector w, and returns ‖∂L/∂h_t‖ for every t with the fitted factor.
    /// </summary>
    public static FlowResult Measure(FlowCase flowCase, int steps = 100, long seed = 0, int inputSize = 8, int hiddenSize = 32)
    {
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "at least 2 steps");
        using var scope = torch.NewDisposeScope();
        var (cell, inputs, w) = Setup(flowCase, steps, seed, inputSize, hiddenSize);
        var (states, last) = Run(cell, inputs);
        var loss = (w * last).sum();
        var grads = torch.autograd.grad([loss], states);
        var norms = new double[steps];
        for (var t = 0; t < steps; t++) norms[steps - 1 - t] = grads[t].norm().item<float>();
        return new FlowResult(flowCase, norms, FitFactor(norms));
    }

    /// <summary>
    /// The per-step factor g such that ‖∂L/∂h_(T−d)‖ ≈ C g^d: exp of the least-squares slope of ln‖∂L/∂h‖ against d,
    /// over every distance with a positive, finite norm.
    /// </summary>
    public static double FitFactor(IReadOnlyList<double> norms)
    {
        var points = norms.Select((n, d) => (d: (double)d, y: Math.Log(n))).Where(p => double.IsFinite(p.y)).ToArray();
        if (points.Length < 2) return double.NaN;
        var meanD = points.Average(p => p.d);
        var meanY = points.Average(p => p.y);
        var slope = points.Sum(p => (p.d - meanD) * (p.y - meanY)) / points.Sum(p => (p.d - meanD) * (p.d - meanD));
        return Math.Exp(slope);
    }

    /// <summary>
    /// Back-propagates the case's last-step loss into the cell's parameters and clips their gradients with
    /// <c>torch.nn.utils.clip_grad_norm_</c>: returns the total gradient norm before and after.
    /// </summary>
    public static (double Before, double After) Clip(FlowCase flowCase, double maxNorm, int steps = 100, long seed = 0,
        int inputSize = 8, int hiddenSize = 32)
    {
        using var scope = torch.NewDisposeScope();
        var (cell, inputs, w) = Setup(flowCase, steps, seed, inputSize, hiddenSize);
        var (_, last) = Run(cell, inputs);
        // The biases' gradients sum ∂L/∂h_t over every step (times tanh' ≈ 1), so they carry the explosion in full.
        (w * last).sum().backward();
        var before = torch.nn.utils.clip_grad_norm_(cell.parameters(), maxNorm);
        // With max_norm = ∞ clip_grad_norm_ only measures: it returns the total norm and scales by min(1, ∞) = 1.
        var after = torch.nn.utils.clip_grad_norm_(cell.parameters(), double.PositiveInfinity);
        return (before, after);
    }

    /// <summary>The seeded cell, its inputs (T, 1, H_in) and the loss's unit vector w.</summary>
    private static (torch.nn.Module Cell, Tensor Inputs, Tensor W) Setup(FlowCase flowCase, int steps, long seed, int inputSize, int hiddenSize)
    {
        torch.manual_seed(seed);
        var cell = Create(flowCase, inputSize, hiddenSize);
        var inputs = torch.randn(steps, 1, inputSize) * flowCase.InputScale;
        var w = torch.randn(1, hiddenSize);
        return (cell, inputs, w / w.norm());
    }

    private static torch.nn.Module Create(FlowCase flowCase, int inputSize, int hiddenSize)
    {
        torch.nn.Module cell = flowCase.Cell switch
        {
            "rnn" => nn.RNNCell(inputSize, hiddenSize),
            "lstm" => nn.LSTMCell(inputSize, hiddenSize),
            "gru" => nn.GRUCell(inputSize, hiddenSize),
            _ => throw new ArgumentException($"unknown cell '{flowCase.Cell}'", nameof(flowCase)),
        };
        using var _ = torch.no_grad();
        if (flowCase.Cell == "rnn")
        {
            var whh = cell.get_parameter("weight_hh")!;
            torch.nn.init.orthogonal_(whh);
            whh.mul_(flowCase.RecurrentGain);
            cell.get_parameter("bias_ih")!.zero_();
            cell.get_parameter("bias_hh")!.zero_();
        }
        else if (flowCase.GateBias != 0)
        {
            // Gate blocks in the bias vectors: LSTM i, f, g, o (f is block 1); GRU r, z, n (z is block 1).
            foreach (var name in new[] { "bias_ih", "bias_hh" })
                cell.get_parameter(name)!.narrow(0, hiddenSize, hiddenSize).add_(flowCase.GateBias);
        }
        return cell;
    }

    /// <summary>Runs the cell over (T, 1, H_in) and returns every h_t (t = 1..T) and h_T.</summary>
    private static (Tensor[] States, Tensor Last) Run(torch.nn.Module cell, Tensor inputs)
    {
        var steps = (int)inputs.shape[0];
        var states = new Tensor[steps];
        Tensor? h = null, c = null;
        for (var t = 0; t < steps; t++)
        {
            var x = inputs[t];
            switch (cell)
            {
                case RNNCell rnn:
                    h = rnn.call(x, h);
                    break;
                case GRUCell gru:
                    h = gru.call(x, h);
                    break;
                case LSTMCell lstm:
                    (h, c) = lstm.call(x, h is null ? null : (h, c!));
                    break;
            }
            states[t] = h!;
        }
        return (states, states[^1]);
    }
}

/// <summary>The sample's chart: ‖∂L/∂h_t‖ against T − t on a log scale, with the tutorial's 0.9^d and 1.1^d.</summary>
public static class FlowChart
{
    /// <summary>Writes the chart of <paramref name="results"/> as a PNG to <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<FlowResult> results, string path, int width = 1000, int height = 640)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var i = 0;
        foreach (var r in results)
        {
            var points = r.Norms.Select((n, d) => (x: (double)d, y: Math.Log10(n))).Where(p => double.IsFinite(p.y)).ToArray();
            var line = plot.Add.ScatterLine(points.Select(p => p.x).ToArray(), points.Select(p => p.y).ToArray());
            line.LegendText = $"{r.Case.Name} (x{r.Factor:0.000}/step)";
            line.LineWidth = 2.5f;
            line.Color = palette.GetColor(i++);
        }
        var steps = results.Max(r => r.Norms.Length);
        foreach (var gain in new[] { 0.9, 1.1 })
        {
            double[] xs = [0, steps - 1];
            double[] ys = [0, (steps - 1) * Math.Log10(gain)];
            var reference = plot.Add.ScatterLine(xs, ys);
            reference.LegendText = $"tutorial {gain}^d";
            reference.LinePattern = ScottPlot.LinePattern.Dashed;
            reference.LineWidth = 1.5f;
            reference.Color = ScottPlot.Colors.Gray;
        }
        // A log axis in ScottPlot 5: plot log10 of the data, put ticks on the integers and label them 10^k.
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => $"1e{y:0}",
        };
        plot.Axes.Left.TickGenerator = ticks;
        plot.Title("Gradient of a last-step loss reaching h_t, per distance T - t");
        plot.XLabel("distance T - t (steps back from the loss)");
        plot.YLabel("|dL/dh_t| (log scale)");
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft); // the lower left stays empty: nothing vanishes that fast
        plot.SavePng(path, width, height);
    }
}

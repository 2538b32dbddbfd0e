using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Diagnostics;
using TorchRnn.Engines;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Engines;

/// <summary>
/// The fused LSTM under autograd (<see cref="Engine.FusedTraining"/>) at the shapes its code paths turn on (batch
/// blocks of the products, hidden sizes off the vector width, the transposed products from 8 steps of 4 rows, both
/// directions, batch-first, several layers, projections), outputs and every gradient against the managed engine in
/// float64 with autograd, whose equations the fixture tests hold to PyTorch's (PyTorchParityTests runs this engine on
/// every LSTM fixture case, gradients included).
/// </summary>
public class FusedTrainingTests
{
    private static IEnumerable<TestCaseData> Shapes()
    {
        // (input, hidden, proj, layers, length, batch, bidirectional, batch_first)
        foreach (var (i, h, p, layers, length, batch, bidi, batchFirst) in new[]
                 {
                     (5L, 6L, 0L, 2L, 1L, 3L, false, false), (16L, 16L, 0L, 1L, 1L, 8L, false, false), (7L, 24L, 0L, 2L, 3L, 11L, true, false),
                     (3L, 70L, 0L, 1L, 2L, 1L, false, true), (33L, 17L, 0L, 3L, 4L, 2L, true, true), (8L, 40L, 0L, 2L, 9L, 16L, false, false),
                     (1L, 1L, 0L, 1L, 3L, 1L, false, false), (12L, 64L, 0L, 2L, 10L, 5L, true, false),
                     (5L, 8L, 3L, 2L, 1L, 1L, false, false), (16L, 40L, 24L, 2L, 7L, 9L, true, true), (64L, 128L, 64L, 1L, 9L, 32L, false, false),
                     (20L, 72L, 66L, 1L, 12L, 6L, true, false),
                 })
        {
            yield return new TestCaseData(i, h, p, layers, length, batch, bidi, batchFirst)
                .SetArgDisplayNames($"{i}->{h}x{layers}", p > 0 ? $"proj {p}" : "no proj", $"L{length}", $"N{batch}",
                    bidi ? "bidirectional" : "one-way", batchFirst ? "batch_first" : "time-first");
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void ForwardBackward_Autograd_MatchesTheFloat64Reference(long inputSize, long hidden, long projSize, long layers, long length, long batch,
        bool bidirectional, bool batchFirst)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(13);
        var lstm = nn.LSTM(inputSize, hidden, layers, batch_first: batchFirst, bidirectional: bidirectional, proj_size: projSize);
        var x = (batchFirst ? torch.randn(batch, length, inputSize) : torch.randn(length, batch, inputSize)).requires_grad_();
        var states = layers * (bidirectional ? 2 : 1);
        var h0 = torch.randn(states, batch, projSize > 0 ? projSize : hidden).requires_grad_();
        var c0 = torch.randn(states, batch, hidden).requires_grad_();
        var (output, hN, cN) = Fused(lstm, m =>
        {
            var (o, s) = m.call(x, new HiddenState(h0, c0));
            return (o, s.h, s.c!);
        });
        // Upstream gradients that differ per element, for all three results.
        var (gOutput, gH, gC) = (torch.randn_like(output), torch.randn_like(hN), torch.randn_like(cN));
        Loss(output, hN, cN, gOutput, gH, gC).backward();

        var wide = nn.LSTM(inputSize, hidden, layers, batch_first: batchFirst, bidirectional: bidirectional, proj_size: projSize, dtype: ScalarType.Float64);
        wide.ForcedEngine = Engine.Managed;
        using (torch.no_grad())
        {
            foreach (var (name, p) in lstm.named_parameters()) wide.get_parameter(name)!.copy_(p);
        }
        var (xw, h0w, c0w) = (Wide(x), Wide(h0), Wide(c0));
        var (expected, expectedState) = wide.call(xw, new HiddenState(h0w, c0w));
        Loss(expected, expectedState.h, expectedState.c!, Wide(gOutput), Wide(gH), Wide(gC)).backward();

        Assert.Multiple(() =>
        {
            Assert.That(output.shape, Is.EqualTo(expected.shape), "output shape");
            Assert.That(MaxDifference(output, expected), Is.LessThan(2e-5), "output");
            Assert.That(MaxDifference(hN, expectedState.h), Is.LessThan(2e-5), "h_n");
            Assert.That(MaxDifference(cN, expectedState.c!), Is.LessThan(2e-5), "c_n");
            Assert.That(MaxDifference(x.grad!, xw.grad!), Is.LessThan(1e-4), "grad of input");
            Assert.That(MaxDifference(h0.grad!, h0w.grad!), Is.LessThan(1e-4), "grad of h0");
            Assert.That(MaxDifference(c0.grad!, c0w.grad!), Is.LessThan(1e-4), "grad of c0");
            foreach (var (name, p) in lstm.named_parameters())
                Assert.That(MaxDifference(p.grad!, wide.get_parameter(name)!.grad!), Is.LessThan(1e-4), $"grad of {name}");
        });
    }

    [Test]
    public void Backward_OnlyTheOutputUsed_GivesTheReferenceGradients()
    {
        // h_n and c_n take no part in the loss: their gradients reach the engine undefined, not as zeros.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(17);
        var lstm = nn.LSTM(6, 10, 2);
        var x = torch.randn(5, 4, 6, requires_grad: true);
        var (output, _, _) = Fused(lstm, m =>
        {
            var (o, s) = m.call(x);
            return (o, s.h, s.c!);
        });
        output.pow(2).sum().backward();
        var expectedGrads = lstm.parameters().Select(p => p.grad!.clone()).ToArray();
        var expectedInputGrad = x.grad!.clone();
        lstm.zero_grad();
        x.grad!.zero_();
        lstm.ForcedEngine = Engine.Managed;
        lstm.call(x).output.pow(2).sum().backward();
        Assert.That(MaxDifference(x.grad!, expectedInputGrad), Is.LessThan(1e-5), "grad of input");
        var actual = lstm.parameters().Select(p => p.grad!).ToArray();
        for (var i = 0; i < actual.Length; i++) Assert.That(MaxDifference(actual[i], expectedGrads[i]), Is.LessThan(1e-5), $"parameter {i}");
    }

    [Test]
    public void Backward_TwiceWithRetainedGraph_AccumulatesTheSameGradientTwice()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(19);
        var lstm = nn.LSTM(4, 8, proj_size: 3);
        var x = torch.randn(6, 2, 4);
        var loss = Fused(lstm, m => m.call(x).output.sum());
        loss.backward(retain_graph: true);
        var once = lstm.get_parameter("weight_hh_l0")!.grad!.clone();
        loss.backward();
        Assert.That(MaxDifference(lstm.get_parameter("weight_hh_l0")!.grad!, 2 * once), Is.LessThan(1e-5));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void DoubleBackward_GradientPenalty_MatchesTheManagedEngine(bool batchFirst)
    {
        // A gradient penalty differentiates the gradients (create_graph): the fused engine replays the call on the
        // managed engine for that, so the second derivatives are the managed engine's.
        using var scope = torch.NewDisposeScope();
        (Tensor input, Tensor weight) Run(Engine engine)
        {
            torch.manual_seed(31);
            var lstm = nn.LSTM(3, 5, 2, batch_first: batchFirst, proj_size: batchFirst ? 2 : 0);
            lstm.ForcedEngine = engine;
            var x = torch.randn(4, 2, 3, requires_grad: true);
            var (output, state) = lstm.call(x);
            var loss = output.pow(2).sum() + state.c_n.sum();
            var dx = torch.autograd.grad([loss], [x], retain_graph: true, create_graph: true)[0];
            dx.pow(2).sum().backward();
            return (x.grad!, lstm.get_parameter("weight_hh_l1")!.grad!);
        }
        var (expectedInput, expectedWeight) = Run(Engine.Managed);
        var (input, weight) = Run(Engine.FusedTraining);
        Assert.That(MaxDifference(input, expectedInput), Is.LessThan(1e-5), "grad of input");
        Assert.That(MaxDifference(weight, expectedWeight), Is.LessThan(1e-5), "grad of weight_hh_l1");
    }

    [TestCase("Managed", false)]
    [TestCase("FusedTraining", false)]
    [TestCase("FusedTraining", true)]
    public void TrainingLoop_ScopePerStep_FreesEveryStep(string engine, bool statesInLoss)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(23);
        var lstm = nn.LSTM(8, 16, 2);
        lstm.ForcedEngine = Enum.Parse<Engine>(engine);
        var x = torch.randn(7, 4, 8);
        var optimizer = torch.optim.SGD(lstm.parameters(), 0.01);
        void Steps(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var step = torch.NewDisposeScope();
                optimizer.zero_grad();
                var (output, state) = lstm.call(x);
                var loss = output.pow(2).mean();
                // Without the states in the loss their gradients reach the engine undefined.
                if (statesInLoss) loss = loss + state.h_n.sum() + state.c_n.sum();
                loss.backward();
                optimizer.step();
            }
        }
        Steps(3);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Steps(30);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(live), "nothing of a step outlives its scope");
    }

    private static IEnumerable<TestCaseData> Declined()
    {
        yield return new TestCaseData("dropout between layers in training", ScalarType.Float32, 0.5, true).SetArgDisplayNames("dropout in training");
        yield return new TestCaseData("float64", ScalarType.Float64, 0.0, true).SetArgDisplayNames("float64");
    }

    [TestCaseSource(nameof(Declined))]
    public void Forward_ForcedOnACallItDoesNotTake_GivesTheManagedEnginesResult(string why, ScalarType dtype, double dropout, bool training)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(4, 3, 5, dtype: dtype);
        (Tensor output, Tensor grad) Run(Engine engine)
        {
            torch.manual_seed(29);
            var lstm = nn.LSTM(5, 7, 2, dropout: dropout, dtype: dtype);
            lstm.train(training);
            lstm.ForcedEngine = engine;
            var output = lstm.call(x).output;
            output.sum().backward();
            return (output, lstm.get_parameter("weight_ih_l0")!.grad!);
        }
        var (expected, expectedGrad) = Run(Engine.Managed);
        var (actual, grad) = Run(Engine.FusedTraining);
        Assert.That(MaxDifference(actual, expected), Is.EqualTo(0), why);
        Assert.That(MaxDifference(grad, expectedGrad), Is.EqualTo(0), why);
    }

    private static IEnumerable<TestCaseData> Products()
    {
        // (rows of W, its columns, its row stride, input rows): blocks of 64 columns by 4 inputs, and what they leave.
        foreach (var (rows, cols, stride, count) in new[] { (1, 1, 1, 1), (24, 6, 6, 3), (512, 64, 80, 32), (256, 128, 128, 1), (40, 130, 146, 9), (7, 200, 203, 5) })
            yield return new TestCaseData(rows, cols, stride, count).SetArgDisplayNames($"{rows}x{cols}", $"stride {stride}", $"{count} rows");
    }

    [TestCaseSource(nameof(Products))]
    public void AccumulateByRows_AddsEachInputRowTimesW(int rows, int cols, int stride, int count)
    {
        var random = new Random(rows * 1000 + cols * 10 + count);
        float Next() => (float)(random.NextDouble() * 2 - 1);
        var w = Enumerable.Range(0, rows * stride).Select(_ => Next()).ToArray();
        const int xPad = 3, yPad = 2;
        var x = Enumerable.Range(0, count * (rows + xPad)).Select(_ => Next()).ToArray();
        var y = Enumerable.Range(0, count * (cols + yPad)).Select(_ => Next()).ToArray();
        var expected = y.Select(v => (double)v).ToArray();
        for (var m = 0; m < count; m++)
        {
            for (var p = 0; p < cols; p++)
            {
                for (var k = 0; k < rows; k++) expected[m * (cols + yPad) + p] += (double)x[m * (rows + xPad) + k] * w[k * stride + p];
            }
        }
        RowProducts.AccumulateByRows(w, stride, rows, cols, x, rows + xPad, count, y, cols + yPad);
        for (var i = 0; i < y.Length; i++) Assert.That(y[i], Is.EqualTo(expected[i]).Within(1e-4), $"y[{i}]");
    }

    private static Tensor Loss(Tensor output, Tensor h, Tensor c, Tensor gOutput, Tensor gH, Tensor gC)
        => (output * gOutput).sum() + (h * gH).sum() + (c * gC).sum();

    private static Tensor Wide(Tensor t) => t.detach().to(ScalarType.Float64).requires_grad_();

    /// <summary>
    /// The call on the fused engine itself, behind a guard of its own whose every verdict must be right (were it wrong,
    /// the kernel check would have answered with the managed engine's result and hidden the fault from these tests).
    /// </summary>
    private static T Fused<T>(RNNBase module, Func<RNNBase, T> call)
    {
        module.ForcedEngine = Engine.FusedTraining;
        module.Guard = new KernelGuard { Warn = false };
        var result = call(module);
        var verdicts = module.Guard.Verdicts;
        if (KernelCheck.Enabled) Assert.That(verdicts.Select(v => v.Kernel), Has.Some.Contains("autograd"), "the fused engine ran");
        Assert.That(verdicts.Where(v => !v.Right), Is.Empty, "the kernel check found the fused engine right");
        module.Guard = KernelGuard.Shared;
        return result;
    }

    private static double MaxDifference(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
}

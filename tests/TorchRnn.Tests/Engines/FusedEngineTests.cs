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
/// The fused inference engine at the shapes its code paths turn on (batch blocks of 8, 4 and 1 rows; hidden sizes
/// that are not multiples of the vector width; the input product streamed or LibTorch's; both directions;
/// batch-first; several layers), each against the kernel check's reference: the managed engine in float64, whose
/// equations the fixture tests hold to PyTorch's (PyTorchParityTests runs the fused engine on every fixture case too).
/// </summary>
public class FusedEngineTests
{
    private static IEnumerable<TestCaseData> Shapes()
    {
        foreach (var mode in new[] { "LSTM", "GRU", "RNN_TANH", "RNN_RELU" })
        {
            // (input, hidden, layers, length, batch, bidirectional, batch_first)
            foreach (var (i, h, layers, length, batch, bidi, batchFirst) in new[]
                     {
                         (5L, 6L, 2L, 1L, 1L, false, false), (16L, 16L, 1L, 1L, 8L, false, false), (7L, 24L, 2L, 1L, 11L, true, false),
                         (3L, 200L, 1L, 1L, 3L, false, true), (33L, 17L, 3L, 4L, 2L, true, true), (8L, 40L, 2L, 9L, 16L, false, false),
                         (1L, 1L, 1L, 3L, 1L, false, false), (12L, 8L, 2L, 6L, 5L, true, false),
                     })
            {
                yield return new TestCaseData(mode, i, h, layers, length, batch, bidi, batchFirst, 0L)
                    .SetArgDisplayNames(mode, $"{i}->{h}x{layers}", $"L{length}", $"N{batch}", bidi ? "bidirectional" : "one-way", batchFirst ? "batch_first" : "time-first");
            }
        }
        // LSTM with projections: h (H_out) = W_hr (o * tanh(c)), c of H.
        foreach (var (i, h, p, layers, length, batch, bidi) in new[] { (5L, 8L, 3L, 2L, 1L, 1L, false), (16L, 40L, 24L, 2L, 7L, 9L, true), (64L, 128L, 64L, 1L, 9L, 32L, false) })
        {
            yield return new TestCaseData("LSTM", i, h, layers, length, batch, bidi, false, p)
                .SetArgDisplayNames("LSTM", $"{i}->{h}x{layers}", $"proj {p}", $"L{length}", $"N{batch}", bidi ? "bidirectional" : "one-way");
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void Forward_NoGrad_MatchesTheFloat64Reference(string mode, long inputSize, long hidden, long layers, long length, long batch, bool bidirectional,
        bool batchFirst, long projSize)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var module = nn.RNNBase(mode, inputSize, hidden, layers, batch_first: batchFirst, bidirectional: bidirectional, proj_size: projSize);
        module.eval();
        var x = batchFirst ? torch.randn(batch, length, inputSize) : torch.randn(length, batch, inputSize);
        var states = layers * (bidirectional ? 2 : 1);
        var h0 = torch.randn(states, batch, projSize > 0 ? projSize : hidden);
        var c0 = torch.randn(states, batch, hidden);
        var hx = mode == "LSTM" ? new HiddenState(h0, c0) : new HiddenState(h0);
        var (output, h_n) = Fused(module, m => m.call(x, hx));

        using var noGrad = torch.no_grad();
        var reference = new ManagedRecurrence(module.Options, Array.ConvertAll(module.Weights, w => w.Float64()));
        var (expected, expectedState) = reference.Run(x.to(ScalarType.Float64), new HiddenState(h0.to(ScalarType.Float64), hx.c?.to(ScalarType.Float64)), false);
        Assert.Multiple(() =>
        {
            Assert.That(output.shape, Is.EqualTo(expected.shape), "output shape");
            Assert.That(MaxDifference(output, expected), Is.LessThan(2e-5), "output");
            Assert.That(MaxDifference(h_n.h, expectedState.h), Is.LessThan(2e-5), "h_n");
            if (h_n.c is not null) Assert.That(MaxDifference(h_n.c, expectedState.c!), Is.LessThan(2e-5), "c_n");
        });
    }

    private static IEnumerable<TestCaseData> PackedShapes()
    {
        foreach (var mode in new[] { "LSTM", "GRU", "RNN_TANH" })
        {
            foreach (var bidirectional in new[] { false, true })
            {
                yield return new TestCaseData(mode, new long[] { 5, 3, 3, 1 }, bidirectional).SetArgDisplayNames(mode, "lengths 5,3,3,1", bidirectional ? "bidirectional" : "one-way");
                yield return new TestCaseData(mode, new long[] { 2, 10, 4, 7, 1, 3, 9, 2, 5, 1, 4 }, bidirectional).SetArgDisplayNames(mode, "11 unsorted", bidirectional ? "bidirectional" : "one-way");
            }
        }
    }

    [TestCaseSource(nameof(PackedShapes))]
    public void ForwardPacked_NoGrad_MatchesTheFloat64Reference(string mode, long[] lengths, bool bidirectional)
    {
        // Forward, sequences that end keep their state; backward, they join from h0: ATen's packed layers.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var module = nn.RNNBase(mode, 5, 20, 2, bidirectional: bidirectional);
        module.eval();
        var sequences = lengths.Select(l => torch.randn(l, 5)).ToArray();
        var packed = nn.utils.rnn.pack_sequence(sequences, enforce_sorted: false);
        var states = 2 * (bidirectional ? 2 : 1);
        var hx = new HiddenState(torch.randn(states, lengths.Length, 20), mode == "LSTM" ? torch.randn(states, lengths.Length, 20) : null);
        var (output, h_n) = Fused(module, m => m.call(packed, hx));
        using var noGrad = torch.no_grad();

        module.ForcedEngine = Engine.Managed;
        module.to(ScalarType.Float64);
        var wide = nn.utils.rnn.pack_sequence(sequences.Select(x => x.to(ScalarType.Float64)).ToArray(), enforce_sorted: false);
        var (expected, expectedState) = module.call(wide, new HiddenState(hx.h.to(ScalarType.Float64), hx.c?.to(ScalarType.Float64)));
        Assert.Multiple(() =>
        {
            Assert.That(MaxDifference(output.data, expected.data), Is.LessThan(2e-5), "output");
            Assert.That(MaxDifference(h_n.h, expectedState.h), Is.LessThan(2e-5), "h_n");
            if (h_n.c is not null) Assert.That(MaxDifference(h_n.c, expectedState.c!), Is.LessThan(2e-5), "c_n");
        });
    }

    [Test]
    public void Forward_GenerationLoop_StateFedBack_MatchesTheCellsAndFreesEveryStep()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var lstm = nn.LSTM(12, 20, 2);
        lstm.eval();
        var x = torch.randn(1, 2, 12);
        using var noGrad = torch.no_grad();
        HiddenState Run(Engine engine, int steps)
        {
            lstm.ForcedEngine = engine;
            HiddenState? state = null;
            for (var t = 0; t < steps; t++)
            {
                using var step = torch.NewDisposeScope();
                var (_, next) = lstm.call(x, state);
                state?.Dispose();
                state = next.MoveToOuterDisposeScope();
            }
            return state!.Value;
        }

        var cells = Run(Engine.Cells, 20);
        Run(Engine.Fused, 2).Dispose();
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var fused = Run(Engine.Fused, 20);
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(live + 2), "only the last state (h and c) lives on");
        Assert.That(MaxDifference(fused.h, cells.h), Is.LessThan(1e-5));
        Assert.That(MaxDifference(fused.c!, cells.c!), Is.LessThan(1e-5));
    }

    [Test]
    public void Forward_ForcedWithAutograd_GivesTheGradientsOfAnEngineAutogradRecords()
    {
        // The fused engine records nothing for autograd; asked for anyway, the call goes to the managed engine.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var gru = nn.GRU(4, 6, 2);
        var x = torch.randn(3, 2, 4, requires_grad: true);
        gru.ForcedEngine = Engine.Fused;
        var (output, _) = gru.call(x);
        output.sum().backward();
        Assert.That(x.grad, Is.Not.Null);
        Assert.That(gru.get_parameter("weight_hh_l1")!.grad, Is.Not.Null);
    }

    [Test]
    public void Forward_NonContiguousWeight_StillRight()
    {
        // A weight the engine cannot read in place (a user's transposed copy) sends the call to the managed engine.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(9);
        var rnn = nn.RNN(6, 6);
        rnn.eval();
        var x = torch.randn(1, 3, 6);
        using var noGrad = torch.no_grad();
        rnn.ForcedEngine = Engine.Managed;
        var square = torch.randn(6, 6).t();
        rnn.get_parameter("weight_hh_l0")!.set_(square);
        Assume.That(rnn.get_parameter("weight_hh_l0")!.is_contiguous(), Is.False);
        var (expected, _) = rnn.call(x);
        rnn.ForcedEngine = Engine.Fused;
        var (output, _) = rnn.call(x);
        Assert.That(MaxDifference(output, expected), Is.LessThan(1e-6));
    }

    private static IEnumerable<TestCaseData> Products()
    {
        foreach (var (rows, cols, count) in new[] { (1, 1, 1), (3, 7, 1), (5, 16, 4), (9, 24, 8), (8, 200, 10), (7, 33, 17), (4, 8, 3), (12, 512, 9), (512, 64, 32), (800, 200, 10), (130, 9, 6), (37, 256, 1), (1024, 512, 1) })
            yield return new TestCaseData(rows, cols, count).SetArgDisplayNames($"{rows}x{cols}", $"{count} rows");
    }

    [TestCaseSource(nameof(Products))]
    public void Accumulate_AddsEachWeightRowDotEachInputRow(int rows, int cols, int count)
    {
        var random = new Random(rows * 1000 + cols * 10 + count);
        float Next() => (float)(random.NextDouble() * 2 - 1);
        var w = Enumerable.Range(0, rows * cols).Select(_ => Next()).ToArray();
        const int xStride = 3, yPad = 2;
        var x = Enumerable.Range(0, count * (cols + xStride)).Select(_ => Next()).ToArray();
        var y = Enumerable.Range(0, count * (rows + yPad)).Select(_ => Next()).ToArray();
        var expected = y.Select(v => (double)v).ToArray();
        for (var m = 0; m < count; m++)
        {
            for (var r = 0; r < rows; r++)
            {
                for (var k = 0; k < cols; k++) expected[m * (rows + yPad) + r] += (double)w[r * cols + k] * x[m * (cols + xStride) + k];
            }
        }
        var transposedY = (float[])y.Clone();
        RowProducts.Accumulate(w, rows, cols, x, cols + xStride, count, y, rows + yPad);
        var wt = new float[RowProducts.TransposedStride(rows) * cols];
        RowProducts.Transpose(w, rows, cols, wt);
        RowProducts.AccumulateTransposed(w, wt, rows, cols, x, cols + xStride, count, transposedY, rows + yPad);
        for (var i = 0; i < y.Length; i++)
        {
            Assert.That(y[i], Is.EqualTo(expected[i]).Within(1e-4), $"y[{i}]");
            Assert.That(transposedY[i], Is.EqualTo(expected[i]).Within(1e-4), $"transposed y[{i}]");
        }
    }

    private static IEnumerable<TestCaseData> SummedProducts()
    {
        foreach (var (rows, cols1, cols2, count) in new[] { (1, 1, 1, 1), (3, 7, 5, 1), (8, 16, 16, 1), (16, 256, 256, 1), (13, 24, 200, 8),
            (1024, 256, 256, 8), (9, 64, 33, 16), (6, 512, 512, 3), (37, 5, 256, 12), (800, 200, 200, 1), (10, 16, 0, 9) })
            yield return new TestCaseData(rows, cols1, cols2, count).SetArgDisplayNames($"{rows} rows", $"{cols1}+{cols2} cols", $"{count} inputs");
    }

    [TestCaseSource(nameof(SummedProducts))]
    public void AccumulateSum_AddsBothWeightsProducts(int rows, int cols1, int cols2, int count)
    {
        var random = new Random(rows * 1000 + cols1 * 10 + cols2 + count);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        const int x1Pad = 3, x2Pad = 5, yPad = 2;
        var (w1, w2) = (Fill(rows * cols1), Fill(rows * cols2));
        var (x1, x2) = (Fill(count * (cols1 + x1Pad)), Fill(count * (cols2 + x2Pad)));
        var y = Fill(count * (rows + yPad));
        var expected = y.Select(v => (double)v).ToArray();
        for (var m = 0; m < count; m++)
        {
            for (var r = 0; r < rows; r++)
            {
                for (var k = 0; k < cols1; k++) expected[m * (rows + yPad) + r] += (double)w1[r * cols1 + k] * x1[m * (cols1 + x1Pad) + k];
                for (var k = 0; k < cols2; k++) expected[m * (rows + yPad) + r] += (double)w2[r * cols2 + k] * x2[m * (cols2 + x2Pad) + k];
            }
        }
        RowProducts.AccumulateSum(w1, cols1, x1, cols1 + x1Pad, w2, cols2, x2, cols2 + x2Pad, rows, count, y, rows + yPad);
        for (var i = 0; i < y.Length; i++) Assert.That(y[i], Is.EqualTo(expected[i]).Within(1e-4), $"y[{i}]");
    }

    private static IEnumerable<TestCaseData> SplitShapes()
    {
        foreach (var mode in new[] { "LSTM", "GRU", "RNN_TANH" })
        {
            foreach (var (h, length, batch, bidirectional) in new[] { (256L, 1L, 1L, false), (200L, 2L, 8L, true), (128L, 1L, 5L, false), (512L, 1L, 8L, false) })
                yield return new TestCaseData(mode, h, length, batch, bidirectional).SetArgDisplayNames(mode, $"H{h}", $"L{length}", $"N{batch}", bidirectional ? "bidirectional" : "one-way");
        }
    }

    /// <summary>
    /// With LibTorch allowed two threads, a step's products large enough to split (<see cref="ProductSplit"/>) run half
    /// on a helper thread: the result is the one-thread result bit for bit (the halves are whole blocks of the same
    /// kernels) and the float64 reference's within rounding.
    /// </summary>
    [TestCaseSource(nameof(SplitShapes))]
    public void Forward_TwoThreads_SameAsOneThreadAndTheReference(string mode, long hidden, long length, long batch, bool bidirectional)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var module = nn.RNNBase(mode, hidden, hidden, 2, bidirectional: bidirectional);
        module.eval();
        var x = torch.randn(length, batch, hidden);
        var states = 2 * (bidirectional ? 2 : 1);
        var hx = mode == "LSTM" ? new HiddenState(torch.randn(states, batch, hidden), torch.randn(states, batch, hidden)) : new HiddenState(torch.randn(states, batch, hidden));
        var threads = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            // A first call, so that both measured calls read the same weight copies (made at the second call).
            Fused(module, m => m.call(x, hx));
            var (single, singleState) = Fused(module, m => m.call(x, hx));
            torch.set_num_threads(2);
            var (split, splitState) = Fused(module, m => m.call(x, hx));

            using var noGrad = torch.no_grad();
            var reference = new ManagedRecurrence(module.Options, Array.ConvertAll(module.Weights, w => w.Float64()));
            var (expected, _) = reference.Run(x.to(ScalarType.Float64), new HiddenState(hx.h.to(ScalarType.Float64), hx.c?.to(ScalarType.Float64)), false);
            Assert.Multiple(() =>
            {
                Assert.That(MaxDifference(split, single), Is.Zero, "output, two threads against one");
                Assert.That(MaxDifference(splitState.h, singleState.h), Is.Zero, "h_n, two threads against one");
                if (splitState.c is not null) Assert.That(MaxDifference(splitState.c, singleState.c!), Is.Zero, "c_n, two threads against one");
                Assert.That(MaxDifference(split, expected), Is.LessThan(2e-5), "output against the reference");
            });
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    /// <summary>Products from several threads at once: one holds the helper, the others compute alone; all are right.</summary>
    [Test]
    public void ProductSplit_CalledFromSeveralThreads_EveryResultRight()
    {
        const int rows = 1024, cols = 256, count = 2;
        var random = new Random(5);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var (w1, w2, x1, x2) = (Fill(rows * cols), Fill(rows * cols), Fill(count * cols), Fill(count * cols));
        var expected = new float[count * rows];
        RowProducts.AccumulateSum(w1, cols, x1, cols, w2, cols, x2, cols, rows, count, expected, rows);
        var results = new float[8][];
        System.Threading.Tasks.Parallel.For(0, results.Length, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var y = new float[count * rows];
            for (var repeat = 0; repeat < 50; repeat++)
            {
                Array.Clear(y);
                ProductSplit.AccumulateSum(w1, cols, x1, cols, w2, cols, x2, cols, rows, count, y, rows, threads: 2);
            }
            results[i] = y;
        });
        foreach (var y in results) Assert.That(y, Is.EqualTo(expected));
    }

    /// <summary>A half the helper does not start (its core away) is taken back by the calling thread: the result is the same.</summary>
    [Test]
    public void ProductSplit_HelperHeld_CallerTakesItsHalfBack()
    {
        const int rows = 1024, cols = 256, count = 1;
        var random = new Random(9);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var (w1, w2, x1, x2) = (Fill(rows * cols), Fill(rows * cols), Fill(count * cols), Fill(count * cols));
        var expected = new float[count * rows];
        RowProducts.AccumulateSum(w1, cols, x1, cols, w2, cols, x2, cols, rows, count, expected, rows);
        var y = new float[count * rows];
        var before = ProductSplit.TakenBack;
        ProductSplit.HoldHelper = true;
        try
        {
            ProductSplit.AccumulateSum(w1, cols, x1, cols, w2, cols, x2, cols, rows, count, y, rows, threads: 2);
        }
        finally
        {
            ProductSplit.HoldHelper = false;
        }
        Assert.Multiple(() =>
        {
            Assert.That(ProductSplit.TakenBack, Is.EqualTo(before + 1), "the calling thread took the half back");
            Assert.That(y, Is.EqualTo(expected));
        });
        // And the helper, released, still serves the next product.
        Array.Clear(y);
        ProductSplit.AccumulateSum(w1, cols, x1, cols, w2, cols, x2, cols, rows, count, y, rows, threads: 2);
        Assert.That(y, Is.EqualTo(expected));
    }

    /// <summary>
    /// The call under no_grad on the fused engine itself: the module gets a guard of its own, and every verdict the
    /// kernel check gave the fused engine must be right (were it wrong, the check would have answered with the managed
    /// engine's result and hidden the fault from these tests).
    /// </summary>
    private static T Fused<T>(RNNBase module, Func<RNNBase, T> call)
    {
        module.ForcedEngine = Engine.Fused;
        module.Guard = new KernelGuard { Warn = false };
        T result;
        using (torch.no_grad()) result = call(module);
        var verdicts = module.Guard.Verdicts;
        if (KernelCheck.Enabled) Assert.That(verdicts.Select(v => v.Kernel), Has.Some.Contains("fused"), "the fused engine ran");
        Assert.That(verdicts.Where(v => !v.Right), Is.Empty, "the kernel check found the fused engine right");
        module.Guard = KernelGuard.Shared;
        return result;
    }

    private static double MaxDifference(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
}

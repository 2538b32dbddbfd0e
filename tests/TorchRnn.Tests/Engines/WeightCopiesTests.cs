using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NUnit.Framework;
using TorchRnn.Engines;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Engines;

/// <summary>
/// The fused engine's weight copies for steps: packed at batch 1 (the packed product is the row-major one bit for bit,
/// so a module gives the same results with and without copies) and transposed from batch 4 on (the equations' results
/// to float32 rounding); and a copy is never used for weights that have changed since it was made (in place through
/// LibTorch, or written straight into memory and followed by <c>flatten_parameters()</c>). The module-level tests hold
/// on every CPU (where a layout is not served, no copy is made and the results are the row-major path's); the
/// kernel-level ones need AVX-512.
/// </summary>
[NonParallelizable] // WeightCopies.Enabled is process-wide
public class WeightCopiesTests
{
    private static IEnumerable<TestCaseData> Layouts()
    {
        foreach (var (rows, cols1, cols2) in new[] { (8, 16, 16), (64, 32, 48), (24, 80, 0), (1024, 256, 256), (2048, 512, 512), (96, 16, 512) })
            yield return new TestCaseData(rows, cols1, cols2).SetArgDisplayNames($"{rows} rows", $"{cols1}+{cols2} cols");
    }

    [TestCaseSource(nameof(Layouts))]
    public void AccumulatePacked_OneInputRow_SameBitsAsTheRowMajorProduct(int rows, int cols1, int cols2)
    {
        Assume.That(RowProducts.Packs(rows, cols1, cols2), Is.True, "the packed layout needs AVX-512");
        var random = new Random(rows + cols1 * 7 + cols2 * 13);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var (w1, w2, x1, x2, y) = (Fill(rows * cols1), Fill(rows * cols2), Fill(cols1), Fill(cols2), Fill(rows));
        var expected = y.Select(v => (double)v).ToArray();
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < cols1; k++) expected[r] += (double)w1[r * cols1 + k] * x1[k];
            for (var k = 0; k < cols2; k++) expected[r] += (double)w2[r * cols2 + k] * x2[k];
        }
        var rowMajor = (float[])y.Clone();
        RowProducts.AccumulateSum(w1, cols1, x1, cols1, w2, cols2, x2, cols2, rows, 1, rowMajor, rows);
        var packed = new float[RowProducts.PackedLength(rows, cols1, cols2)];
        RowProducts.Pack(w1, cols1, w2, cols2, rows, packed);

        var oneThread = (float[])y.Clone();
        RowProducts.AccumulatePacked(packed, cols1, x1, cols2, x2, rows, oneThread);
        var twoThreads = (float[])y.Clone();
        ProductSplit.AccumulatePacked(packed, cols1, x1, cols2, x2, rows, twoThreads, threads: 2);

        Assert.That(oneThread, Is.EqualTo(rowMajor), "packed, one thread");
        Assert.That(twoThreads, Is.EqualTo(rowMajor), "packed, split over two threads");
        for (var r = 0; r < rows; r++) Assert.That(oneThread[r], Is.EqualTo(expected[r]).Within(1e-4), $"y[{r}]");
    }

    [TestCase(256, 64, 0, 256, 8)]
    [TestCase(512, 48, 128, 384, 4)]
    [TestCase(1024, 32, 512, 512, 7)]
    [TestCase(200, 40, 64, 100, 5)]
    public void AccumulatePanels_RowsOfALargerWeight_TheirProducts(int allRows, int cols, int from, int rows, int count)
    {
        var random = new Random(allRows + cols + from + count);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var (w, x, y) = (Fill(allRows * cols), Fill(count * cols), Fill(count * rows));
        var panels = new float[allRows / 64 * 64 * cols];
        RowProducts.PackPanels(w, allRows, cols, panels);
        var expected = y.Select(v => (double)v).ToArray();
        for (var m = 0; m < count; m++)
            for (var r = 0; r < rows; r++)
                for (var k = 0; k < cols; k++) expected[m * rows + r] += (double)w[(from + r) * cols + k] * x[m * cols + k];

        // The rows from a panel boundary on: their panels start at from * cols.
        var oneThread = (float[])y.Clone();
        RowProducts.AccumulatePanels(w.AsSpan(from * cols), panels.AsSpan(from * cols), rows, cols, x, cols, count, oneThread, rows);
        var twoThreads = (float[])y.Clone();
        ProductSplit.AccumulatePanels(w.AsSpan(from * cols), panels.AsSpan(from * cols), rows, cols, x, cols, count, twoThreads, rows, threads: 2);

        for (var i = 0; i < y.Length; i++) Assert.That(oneThread[i], Is.EqualTo(expected[i]).Within(1e-4), $"y[{i}]");
        Assert.That(twoThreads, Is.EqualTo(oneThread), "split over two threads: the same sums");
    }

    [Test]
    public void Of_InPlaceChange_MovesTheVersionOn()
    {
        Assume.That(TensorVersion.Available, Is.True, "LibTorch's version counter is not exported here");
        using var scope = torch.NewDisposeScope();
        var t = torch.zeros(3);
        var before = TensorVersion.Of(t);
        using (torch.no_grad()) t[1].fill_(2); // through a view: the base's counter moves too
        Assert.That(TensorVersion.Of(t), Is.EqualTo(before + 1));
    }

    private static IEnumerable<TestCaseData> Modules()
    {
        foreach (var mode in new[] { "LSTM", "GRU", "RNN_TANH", "RNN_RELU" })
        {
            // (input, hidden, layers, bidirectional): served sizes, and one the layout does not serve (24 columns).
            foreach (var (i, h, layers, bidi) in new[] { (32L, 16L, 2L, false), (16L, 48L, 1L, true), (24L, 32L, 2L, false) })
                yield return new TestCaseData(mode, i, h, layers, bidi).SetArgDisplayNames(mode, $"{i}->{h}x{layers}", bidi ? "bidirectional" : "one-way");
        }
    }

    [TestCaseSource(nameof(Modules))]
    public void Step_Batch1_RepeatedCalls_SameBitsWithAndWithoutCopies(string mode, long inputSize, long hidden, long layers, bool bidirectional)
    {
        using var scope = torch.NewDisposeScope();
        var packed = Steps(mode, inputSize, hidden, layers, bidirectional, copies: true, out var module);
        var plain = Steps(mode, inputSize, hidden, layers, bidirectional, copies: false, out _);
        for (var t = 0; t < packed.Count; t++) Assert.That(packed[t].data<float>().ToArray(), Is.EqualTo(plain[t].data<float>().ToArray()), $"call {t}: bit for bit");
        // Made at the second call with unchanged weights, for every layer-direction whose sizes the layout serves
        // (a layer's input is H_in wide for the first layer, D * H after).
        var directions = bidirectional ? 2 : 1;
        var served = !WeightCopies.Enabled || !RowProducts.Packs(16, 16, 16) ? 0
            : Enumerable.Range(0, (int)layers).Count(l => (l == 0 ? inputSize : directions * hidden) % 16 == 0 && hidden % 16 == 0) * directions;
        Assert.That(module.FusedEngine!.Copies.Packed, Is.EqualTo(served));
        // And the results are the equations': the kernel check's float64 reference.
        using var noGrad = torch.no_grad();
        var reference = new ManagedRecurrence(module.Options, Array.ConvertAll(module.Weights, w => w.Float64()));
        Assert.That(MaxDifference(packed[^1], Reference(reference, mode, inputSize, hidden, layers, bidirectional)), Is.LessThan(1e-5));
    }

    private static IEnumerable<TestCaseData> Batches()
    {
        foreach (var mode in new[] { "LSTM", "GRU", "RNN_TANH" })
        {
            // (input, hidden, layers, batch, bidirectional): 64-row panels and a remainder, four-row blocks and a remainder,
            // and more rows than a step streams (its input product LibTorch's, its recurrent product from the panels).
            foreach (var (i, h, layers, batch, bidi) in new[] { (32L, 32L, 2L, 8L, false), (16L, 40L, 1L, 5L, true), (24L, 64L, 2L, 4L, false), (32L, 48L, 2L, 21L, true) })
                yield return new TestCaseData(mode, i, h, layers, batch, bidi).SetArgDisplayNames(mode, $"{i}->{h}x{layers}", $"N{batch}", bidi ? "bidirectional" : "one-way");
        }
    }

    [TestCaseSource(nameof(Batches))]
    public void Step_SeveralRows_RepeatedCalls_TransposedCopiesGiveTheEquationsResults(string mode, long inputSize, long hidden, long layers, long batch,
        bool bidirectional)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(13);
        var module = nn.RNNBase(mode, inputSize, hidden, layers, bidirectional: bidirectional);
        var x = torch.randn(1, batch, inputSize);
        var states = layers * (bidirectional ? 2 : 1);
        var hx = new HiddenState(torch.randn(states, batch, hidden), mode == "LSTM" ? torch.randn(states, batch, hidden) : null);
        var outputs = Enumerable.Range(0, 3).Select(_ => Step(module, x, hx)).ToList();

        var expectCopies = WeightCopies.Enabled && Vector512.IsHardwareAccelerated ? (int)states : 0;
        Assert.That(module.FusedEngine!.Copies.Transposed, Is.EqualTo(expectCopies), "made at the second call");
        using var noGrad = torch.no_grad();
        var reference = new ManagedRecurrence(module.Options, Array.ConvertAll(module.Weights, w => w.Float64()));
        var (expected, _) = reference.Run(x.to(ScalarType.Float64), new HiddenState(hx.h.to(ScalarType.Float64), hx.c?.to(ScalarType.Float64)), false);
        for (var t = 0; t < outputs.Count; t++) Assert.That(MaxDifference(outputs[t], expected), Is.LessThan(1e-5), $"call {t}");
    }

    private static IEnumerable<TestCaseData> Changes()
    {
        foreach (var batch in new[] { 1L, 8L })
        {
            var copy = batch == 1 ? "packed" : "transposed";
            yield return new TestCaseData("add_", batch).SetArgDisplayNames("add_ under no_grad", copy);
            yield return new TestCaseData("sgd", batch).SetArgDisplayNames("an SGD step", copy);
            yield return new TestCaseData("load_state_dict", batch).SetArgDisplayNames("load_state_dict", copy);
            yield return new TestCaseData("set_", batch).SetArgDisplayNames("set_ to a new tensor", copy);
            yield return new TestCaseData("raw", batch).SetArgDisplayNames("a write into memory, then flatten_parameters", copy);
        }
    }

    [TestCaseSource(nameof(Changes))]
    public void Step_WeightsChangedAfterCopying_NextCallComputesWithTheNewWeights(string change, long batch)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var lstm = nn.LSTM(32, 32, 2);
        var x = torch.randn(1, batch, 32);
        for (var t = 0; t < 3; t++) Step(lstm, x);
        var (packed, transposed) = lstm.FusedEngine!.Copies;
        var copiesBefore = batch == 1 ? packed : transposed;

        // An input weight: from zero states W_hh multiplies zeros, and a stale copy of it would go unseen.
        var weight = lstm.get_parameter("weight_ih_l1")!;
        switch (change)
        {
            case "add_":
                using (torch.no_grad()) weight.add_(0.25);
                break;
            case "sgd":
            {
                var optimizer = torch.optim.SGD(lstm.parameters(), 0.5);
                var (output, _) = lstm.call(x);
                output.pow(2).sum().backward();
                optimizer.step();
                break;
            }
            case "load_state_dict":
                torch.manual_seed(4);
                lstm.load_state_dict(nn.LSTM(32, 32, 2).state_dict());
                break;
            case "set_":
                using (torch.no_grad()) weight.set_(torch.randn(128, 32));
                break;
            case "raw":
                var values = MemoryMarshal.Cast<byte, float>(weight.bytes);
                for (var i = 0; i < values.Length; i++) values[i] += 0.25f;
                lstm.flatten_parameters();
                break;
        }

        var after = Step(lstm, x);
        using var noGrad = torch.no_grad();
        var reference = new ManagedRecurrence(lstm.Options, Array.ConvertAll(lstm.Weights, w => w.Float64()));
        var (expected, _) = reference.Run(x.to(ScalarType.Float64), Zeros(2, batch, 32, cell: true), false);
        Assert.That(MaxDifference(after, expected), Is.LessThan(1e-5), "the call after the change");
        if (RowProducts.Packs(16, 16, 16) && WeightCopies.Enabled) Assert.That(copiesBefore, Is.EqualTo(2), "copies were in use before the change");
        // Unchanged again, the copies are made again.
        Step(lstm, x);
        Assert.That(MaxDifference(Step(lstm, x), expected), Is.LessThan(1e-5), "from new copies");
    }

    private static List<Tensor> Steps(string mode, long inputSize, long hidden, long layers, bool bidirectional, bool copies, out RNNBase module)
    {
        var enabled = WeightCopies.Enabled;
        WeightCopies.Enabled = copies && enabled;
        try
        {
            torch.manual_seed(11);
            module = nn.RNNBase(mode, inputSize, hidden, layers, bidirectional: bidirectional);
            var x = torch.randn(1, 1, inputSize);
            var outputs = new List<Tensor>();
            for (var t = 0; t < 4; t++) outputs.Add(Step(module, x));
            return outputs;
        }
        finally
        {
            WeightCopies.Enabled = enabled;
        }
    }

    /// <summary>One step from <paramref name="hx"/> (zeros when null) on the fused engine under no_grad, its kernel check's verdict right.</summary>
    private static Tensor Step(RNNBase module, Tensor x, HiddenState? hx = null)
    {
        module.ForcedEngine = Engine.Fused;
        module.Guard = new KernelGuard { Warn = false };
        Tensor output;
        using (torch.no_grad()) (output, _) = module.call(x, hx);
        Assert.That(module.Guard.Verdicts.Where(v => !v.Right), Is.Empty, "the kernel check found the fused engine right");
        module.Guard = KernelGuard.Shared;
        return output;
    }

    private static Tensor Reference(ManagedRecurrence reference, string mode, long inputSize, long hidden, long layers, bool bidirectional)
    {
        torch.manual_seed(11);
        // The same draws as Steps: the module's weights, then x.
        _ = nn.RNNBase(mode, inputSize, hidden, layers, bidirectional: bidirectional);
        var x = torch.randn(1, 1, inputSize);
        var (output, _) = reference.Run(x.to(ScalarType.Float64), Zeros(layers * (bidirectional ? 2 : 1), 1, hidden, mode == "LSTM"), false);
        return output;
    }

    private static HiddenState Zeros(long states, long batch, long hidden, bool cell)
        => new(torch.zeros(states, batch, hidden, dtype: ScalarType.Float64), cell ? torch.zeros(states, batch, hidden, dtype: ScalarType.Float64) : null);

    private static double MaxDifference(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
}

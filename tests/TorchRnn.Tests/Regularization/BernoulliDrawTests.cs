using System;
using System.Collections.Generic;
using NUnit.Framework;
using TorchRnn.Engines;
using TorchRnn.Regularization;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Tests.Regularization;

/// <summary>
/// <see cref="BernoulliDraw"/> against LibTorch's own <c>bernoulli_</c> and <c>F.dropout</c> on this machine, from the
/// same generator state: the masks and values to the bit, and the generator's state afterwards (its bytes, and the
/// next <c>torch.rand</c>). Where this LibTorch draws on another path than the default mt19937 one (MKL's, on Intel
/// CPUs), the draw must fall back to LibTorch and give the same.
/// </summary>
public class BernoulliDrawTests
{
    // Where the generator stands before the draw: after a seed, some 32-bit outputs drawn (an odd count puts each
    // element's pair of outputs astride the twists), and optionally a cached normal sample in its state.
    public sealed record Start(long Seed, int Skip, bool CachedNormal)
    {
        public override string ToString() => $"seed{Seed}+{Skip}{(CachedNormal ? "+normal" : "")}";
    }

    private static readonly Start[] Starts = [new(0, 0, false), new(1, 1, false), new(7, 623, true), new(42, 1001, false)];

    // 1 element; the twist at 624 outputs (312 elements) from both sides; 1600 x 400 (a 4 x 400 LSTM's weight_hh);
    // odd shapes.
    private static readonly long[][] Shapes = [[1], [311], [312], [313], [623], [624], [625], [1249], [1600, 400], [3, 5, 7], [17, 1], [2, 313]];

    private static readonly double[] Probabilities = [0.1, 0.25, 0.5, 0.65, 0.9];

    private static IEnumerable<TestCaseData> Grid()
    {
        foreach (var start in Starts)
            foreach (var shape in Shapes)
                foreach (var p in Probabilities)
                    foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
                        yield return new TestCaseData(start, shape, p, dtype)
                            .SetArgDisplayNames(start.ToString(), string.Join("x", shape), p.ToString(System.Globalization.CultureInfo.InvariantCulture), dtype.ToString());
    }

    [TestCaseSource(nameof(Grid))]
    public void Dropout_FromOneState_IsLibTorchsBernoulliAndDropoutToTheBit(Start start, long[] shape, double p, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        MoveTo(start);
        var x = torch.randn(shape, dtype);
        var state = RandomState.Get();

        // The mask alone: bernoulli_(1 - p), as F.dropout draws it.
        var draws = BernoulliDraw.ManagedDraws;
        var mask = torch.empty(shape, dtype);
        if (!BernoulliDraw.TryBernoulli(mask, 1 - p)) mask.bernoulli_(1 - p);
        var (maskState, maskNext) = (RandomState.Get(), torch.rand(5));
        RandomState.Set(state);
        var atenMask = torch.empty(shape, dtype).bernoulli_(1 - p);
        AssertSame(mask, atenMask, "mask");
        AssertSame(maskState, RandomState.Get(), "generator state after the mask");
        AssertSame(maskNext, torch.rand(5), "torch.rand after the mask");
        AssertPath(draws, "mask");

        // The whole dropout: values, generator state and the next draw.
        RandomState.Set(state);
        draws = BernoulliDraw.ManagedDraws;
        var dropped = BernoulliDraw.Dropout(x, p, training: true);
        var (droppedState, droppedNext) = (RandomState.Get(), torch.rand(5));
        RandomState.Set(state);
        var aten = F.dropout(x, p, training: true);
        AssertSame(dropped, aten, "dropout");
        AssertSame(droppedState, RandomState.Get(), "generator state after the dropout");
        AssertSame(droppedNext, torch.rand(5), "torch.rand after the dropout");
        AssertPath(draws, "dropout");
    }

    [Test]
    public void Dropout_WithGradients_GivesFDropoutsGradients()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(40, 30);
        var w = torch.randn(40, 30);
        // Two leaves, so that neither gradient is accumulated into zeros (which would turn -0 into +0).
        var (ours, aten) = (x.clone().requires_grad_(), x.clone().requires_grad_());
        torch.manual_seed(3);
        (BernoulliDraw.Dropout(ours, 0.4, training: true) * w).sum().backward();
        torch.manual_seed(3);
        (F.dropout(aten, 0.4, training: true) * w).sum().backward();
        AssertSame(ours.grad!, aten.grad!, "input gradient");
    }

    private static IEnumerable<TestCaseData> NoDrawOrFallback()
    {
        yield return new TestCaseData(0.0, true, false).SetArgDisplayNames("p=0", "training", "contiguous");
        yield return new TestCaseData(1.0, true, false).SetArgDisplayNames("p=1", "training", "contiguous");
        yield return new TestCaseData(0.5, false, false).SetArgDisplayNames("p=0.5", "eval", "contiguous");
        yield return new TestCaseData(0.5, true, true).SetArgDisplayNames("p=0.5", "training", "transposed");
    }

    [TestCaseSource(nameof(NoDrawOrFallback))]
    public void Dropout_WhereNotDrawnInManagedCode_IsFDropout(double p, bool training, bool transposed)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(30, 20);
        x[0, 0] = torch.tensor(double.NaN);
        if (transposed) x = x.t();
        torch.manual_seed(11);
        var draws = BernoulliDraw.ManagedDraws;
        var ours = BernoulliDraw.Dropout(x, p, training);
        var (state, next) = (RandomState.Get(), torch.rand(5));
        torch.manual_seed(11);
        var aten = F.dropout(x, p, training);
        Assert.That(BernoulliDraw.ManagedDraws, Is.EqualTo(draws), "no managed draw");
        AssertSame(ours, aten, "values (NaN * 0 at p = 1 included)");
        Assert.That(ours.stride(), Is.EqualTo(aten.stride()), "strides");
        AssertSame(state, RandomState.Get(), "generator state");
        AssertSame(next, torch.rand(5), "torch.rand afterwards");
    }

    [Test]
    public void Dropout_Float16OrEmpty_FallsBackToFDropout()
    {
        using var scope = torch.NewDisposeScope();
        var draws = BernoulliDraw.ManagedDraws;
        foreach (var x in new[] { torch.randn(7, 5).to_type(ScalarType.Float16), torch.empty(0, 5) })
        {
            torch.manual_seed(5);
            var ours = BernoulliDraw.Dropout(x, 0.3, training: true);
            torch.manual_seed(5);
            AssertSame(ours, F.dropout(x, 0.3, training: true), $"{x.dtype} {string.Join("x", x.shape)}");
        }
        Assert.That(BernoulliDraw.ManagedDraws, Is.EqualTo(draws), "no managed draw");
    }

    [Test]
    public void Exact_OnThisLibTorch_IsTrueExceptOnIntelCpus()
    {
        // LibTorch 2.10 (MKL build) draws on MKL's VSL generator on Intel CPUs and on the default mt19937 path on the
        // others: there the managed draw must be taken, or WeightDrop's training forward is slow again.
        Assert.That(BernoulliDraw.Exact, Is.EqualTo(DrawPath.Vendor != "GenuineIntel"), $"CPU vendor {DrawPath.Vendor}");
    }

    [Test]
    public void MatchesAten_LeavesTheGeneratorWhereItWas()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(9);
        torch.randn(1, dtype: ScalarType.Float64); // a cached normal sample in the state
        var before = RandomState.Get();
        Assert.That(BernoulliDraw.MatchesAten(), Is.EqualTo(BernoulliDraw.Exact));
        AssertSame(RandomState.Get(), before, "generator state");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WeightDrop_TrainingForward_DrawsEachMaskInManagedCodeWhereExact(bool variational)
    {
        using var scope = torch.NewDisposeScope();
        using var module = nn.WeightDrop(nn.LSTM(8, 16, 2), ["weight_hh_l0", "weight_hh_l1"], dropout: 0.5, variational: variational);
        var x = torch.randn(5, 3, 8);
        var draws = BernoulliDraw.ManagedDraws;
        module.call(x);
        Assert.That(BernoulliDraw.ManagedDraws - draws, Is.EqualTo(BernoulliDraw.Exact ? 2 : 0), "training: one draw per weight");
        module.eval();
        draws = BernoulliDraw.ManagedDraws;
        module.call(x);
        Assert.That(BernoulliDraw.ManagedDraws, Is.EqualTo(draws), "eval: none");
    }

    private static void MoveTo(Start start)
    {
        torch.manual_seed(start.Seed);
        if (start.Skip > 0) torch.rand(start.Skip).Dispose();
        if (start.CachedNormal) torch.randn(1, dtype: ScalarType.Float64).Dispose();
    }

    private static void AssertPath(long drawsBefore, string what)
        => Assert.That(BernoulliDraw.ManagedDraws - drawsBefore, Is.EqualTo(BernoulliDraw.Exact ? 1 : 0), $"{what}: drawn in managed code exactly where the self-check passed");

    private static void AssertSame(Tensor actual, Tensor expected, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what}: shape");
        Assert.That(actual.dtype, Is.EqualTo(expected.dtype), $"{what}: dtype");
        // Bytes, not values: NaN and the sign of zero count too. Compared as spans: NUnit's element by element
        // comparison of a 1600 x 400 tensor's bytes takes most of a second.
        var (got, want) = (Bytes(actual), Bytes(expected));
        var same = got.AsSpan().CommonPrefixLength(want);
        Assert.That(same, Is.EqualTo(want.Length), $"{what}: the first differing byte (of {want.Length})");
    }

    private static byte[] Bytes(Tensor t) => t.numel() == 0 ? [] : t.contiguous().bytes.ToArray();
}

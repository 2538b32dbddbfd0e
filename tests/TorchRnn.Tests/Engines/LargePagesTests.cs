using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Engines;
using TorchRnn.Serialization;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Engines;

/// <summary>
/// Large parameters on huge pages (<see cref="LargePages"/>): where the machine has them, a weight of 2 MiB or more
/// starts at a 2 MiB boundary, and nothing a user sees changes: the same draws, the same results on every engine, the
/// same gradients and optimiser steps, the same checkpoints, no memory kept after disposal. Each case runs against a
/// twin built with placement off (the path every other test and PyTorch's fixtures hold).
/// </summary>
[NonParallelizable] // they switch LargePages.Enabled for the twins
public class LargePagesTests
{
    // 4 x 512 x 512 float32: 4 MiB a weight, two huge pages each; the biases (8 KiB) stay where they are.
    private const long Hidden = 512;

    // RNN's weights are a quarter of LSTM's: 1024 wide, 4 MiB.
    private static IEnumerable<TestCaseData> Modes() =>
        new[] { ("LSTM", Hidden), ("GRU", Hidden), ("RNN_TANH", 2 * Hidden) }.Select(m => new TestCaseData(m.Item1, m.Item2).SetArgDisplayNames(m.Item1, $"H{m.Item2}"));

    private static RNNBase Build(string mode, bool placed, long layers = 2, long hidden = Hidden)
    {
        var enabled = LargePages.Enabled;
        try
        {
            LargePages.Enabled = placed && enabled;
            torch.manual_seed(0);
            return nn.RNNBase(mode, hidden, hidden, layers);
        }
        finally
        {
            LargePages.Enabled = enabled;
        }
    }

    private static void AssumeHugePages() =>
        Assume.That(LargePages.Enabled, "this machine has no transparent huge pages (not Linux, or set to never)");

    private static Tensor[] Weights(RNNBase m) =>
        m.named_parameters().Where(p => p.name.StartsWith("weight", StringComparison.Ordinal)).Select(p => (Tensor)p.parameter).ToArray();

    [TestCaseSource(nameof(Modes))]
    public void Construction_LargeWeights_StartOnAHugePageWithTheSameDraws(string mode, long hidden)
    {
        AssumeHugePages();
        using var placed = Build(mode, placed: true, hidden: hidden);
        using var twin = Build(mode, placed: false, hidden: hidden);

        Assert.That(Weights(placed).Select(LargePages.Aligned), Is.All.True, "every 2 MiB-or-larger weight starts at a 2 MiB boundary");
        Assert.That(Weights(placed).Select(w => w.storage_offset()), Is.All.Zero, "its storage starts there too: an ordinary tensor to every checkpoint writer");
        var pairs = placed.named_parameters().Zip(twin.named_parameters()).ToArray();
        Assert.That(pairs.Select(p => p.First.name), Is.EqualTo(pairs.Select(p => p.Second.name)));
        foreach (var (a, b) in pairs)
            Assert.That(a.parameter.allclose(b.parameter, 0, 0), Is.True, $"{a.name}: the draws are PyTorch's whatever the pages");
    }

    [TestCase(null, false)]
    [TestCase("", false)]
    [TestCase("1", false)]
    [TestCase("0", true)]
    [TestCase(" Off ", true)]
    [TestCase("false", true)]
    [TestCase("no", true)]
    public void Setting_Value_TurnsPlacementOffOnlyWhenItSaysSo(string? value, bool off)
    {
        Assert.That(LargePages.TurnedOff(value), Is.EqualTo(off));
    }

    [Test]
    public void Place_SmallOrElsewhere_LeavesTheParameterAlone()
    {
        using var small = new TorchSharp.Modules.Parameter(torch.randn(512, 512)); // 1 MiB: under one huge page
        using var data = small.detach().clone();

        Assert.That(LargePages.Place(small), Is.False);
        Assert.That(small.allclose(data, 0, 0), Is.True);
    }

    private static IEnumerable<TestCaseData> Calls()
    {
        foreach (var mode in new[] { "LSTM", "GRU", "RNN_TANH" })
        {
            // (engine, steps, gradients, packed): the fused step and sequence without autograd, and every engine that
            // records (LibTorch's module and cells, the managed recurrence, the fused LSTM's autograd node).
            var calls = new List<(Engine, long, bool, bool)>
            {
                (Engine.Fused, 1, false, false), (Engine.Fused, 6, false, false), (Engine.Fused, 6, false, true),
                (Engine.Native, 6, true, false), (Engine.Cells, 6, true, false), (Engine.Managed, 6, true, false),
            };
            if (mode == "LSTM") calls.Add((Engine.FusedTraining, 6, true, false));
            foreach (var (engine, steps, grad, packed) in calls)
            {
                yield return new TestCaseData(mode, engine.ToString(), steps, grad, packed)
                    .SetArgDisplayNames(mode, engine.ToString(), $"L{steps}", grad ? "grad" : "no_grad", packed ? "packed" : "dense");
            }
        }
    }

    [TestCaseSource(nameof(Calls))]
    public void Forward_PlacedWeights_SameResultsAndGradientsAsSmallPages(string mode, string engineName, long steps, bool grad, bool packed)
    {
        var engine = Enum.Parse<Engine>(engineName);
        AssumeHugePages();
        using var placed = Build(mode, placed: true);
        using var twin = Build(mode, placed: false);
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var x = torch.randn(steps, 3, Hidden);

        (Tensor output, Tensor[] grads) Run(RNNBase m)
        {
            m.ForcedEngine = engine;
            if (grad)
            {
                var output = m.call(x).output;
                output.pow(2).sum().backward();
                return (output.detach(), m.parameters().Select(p => p.grad!.clone()).ToArray());
            }
            using var noGrad = torch.no_grad();
            if (packed) return (m.call(nn.utils.rnn.pack_padded_sequence(x, torch.tensor(new long[] { 6, 4, 2 }))).output.data, []);
            return (m.call(x).output, []);
        }

        var (a, gradsA) = Run(placed);
        var (b, gradsB) = Run(twin);

        // The same engine on the same values: the same floats, bit for bit.
        Assert.That(a.allclose(b, 0, 0), Is.True, "output");
        Assert.That(gradsA.Zip(gradsB).Select(g => g.First.allclose(g.Second, 0, 0)), Is.All.True, "gradients");
    }

    [Test]
    public void OptimizerStep_PlacedWeights_UpdatesWhatTheModuleComputesWith()
    {
        AssumeHugePages();
        using var placed = Build("LSTM", placed: true);
        using var twin = Build("LSTM", placed: false);
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        var x = torch.randn(4, 2, Hidden);
        foreach (var m in new[] { placed, twin })
        {
            using var optimizer = torch.optim.SGD(m.parameters(), 0.5);
            m.call(x).output.sum().backward();
            optimizer.step();
        }

        using var noGrad = torch.no_grad();
        Assert.That(Weights(placed).Select(LargePages.Aligned), Is.All.True, "the step wrote in place");
        Assert.That(placed.call(x).output.allclose(twin.call(x).output, 0, 0), Is.True, "the fused step reads the updated weights");
    }

    [TestCase(".pt")]
    [TestCase(".safetensors")]
    public void Checkpoint_PlacedWeights_RoundTripWithTheirValuesOnly(string extension)
    {
        AssumeHugePages();
        using var placed = Build("GRU", placed: true);
        using var twin = Build("GRU", placed: false, layers: 2);
        using (torch.no_grad())
        {
            foreach (var p in twin.parameters()) p.zero_();
        }
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"large-pages-{Guid.NewGuid():N}{extension}");
        try
        {
            Checkpoint.save(placed, path);
            Checkpoint.load(twin, path);

            var valueBytes = placed.parameters().Sum(p => p.numel() * p.element_size());
            Assert.That(new FileInfo(path).Length, Is.LessThan(valueBytes + (64 << 10)), "the file holds the values, not the blocks around them");
            foreach (var (a, b) in placed.parameters().Zip(twin.parameters()))
                Assert.That(a.allclose(b, 0, 0), Is.True);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void To_Float64AndBack_PlacesTheNewTensorsAgain()
    {
        AssumeHugePages();
        using var placed = Build("LSTM", placed: true, layers: 1);
        using var twin = Build("LSTM", placed: false, layers: 1);

        placed.to(ScalarType.Float64);
        Assert.That(Weights(placed).Select(LargePages.Aligned), Is.All.True, "float64 (8 MiB a weight) placed too");
        placed.to(ScalarType.Float32);

        Assert.That(Weights(placed).Select(LargePages.Aligned), Is.All.True);
        foreach (var (a, b) in placed.parameters().Zip(twin.parameters()))
            Assert.That(a.allclose(b, 0, 0), Is.True);
    }

    [Test]
    public void ConstructAndDispose_LargeModules_ResidentMemoryAndLiveTensorsStayFlat()
    {
        AssumeHugePages();
        // Twenty 2-layer LSTM(512)s are 320 MiB of weights: kept by mistake, they would show many times over.
        const int Modules = 20;
        const long ToleranceBytes = 48L << 20;
        // As many first, so that the allocators' pools (LibTorch's and the GC's, which holds the blocks) have grown
        // before the count starts: what they keep is reused, what leaks grows with every module.
        for (var i = 0; i < Modules; i++) Build("LSTM", placed: true).Dispose();
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;
        var before = ResidentMemory.Bytes();
        for (var i = 0; i < Modules; i++)
        {
            using var m = Build("LSTM", placed: true);
            Assert.That(Weights(m).Select(LargePages.Aligned), Is.All.True);
        }
        var after = ResidentMemory.Bytes();

        TestContext.Out.WriteLine($"resident {before >> 20} MB -> {after >> 20} MB; live tensors {live} -> {stats.ThreadTotalLiveCount}");
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live), "live tensors");
        Assert.That(after - before, Is.LessThan(ToleranceBytes), "resident memory growth (bytes)");
    }
}

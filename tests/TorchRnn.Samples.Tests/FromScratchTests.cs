using System.Collections.Generic;
using FromScratch;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Samples.Tests;

/// <summary>The FromScratch sample's hand-written Elman equations compute what nn.RNN computes, in float64.</summary>
public class FromScratchTests
{
    private const double Tolerance = 1e-12;

    [Test]
    public void Run_OneLayerRnn_MatchesNnRnnInFloat64()
        => AssertMatches(nn.RNN(4, 3, dtype: float64), randn(5, 2, 4, dtype: float64));

    [Test]
    public void Run_TwoLayerRnn_MatchesNnRnnInFloat64()
        => AssertMatches(nn.RNN(4, 3, num_layers: 2, dtype: float64), randn(5, 2, 4, dtype: float64));

    [Test]
    public void Run_BidirectionalRnn_MatchesNnRnnInFloat64()
        => AssertMatches(nn.RNN(4, 3, bidirectional: true, dtype: float64), randn(5, 2, 4, dtype: float64));

    [Test]
    public void Run_BatchOfSeven_MatchesNnRnnInFloat64()
        => AssertMatches(nn.RNN(4, 3, num_layers: 2, bidirectional: true, dtype: float64), randn(6, 7, 4, dtype: float64));

    public static IEnumerable<TestCaseData> Configurations()
    {
        foreach (var device in Devices.Names())
        {
            yield return new TestCaseData(device, 3L, true, false, "tanh", true).SetArgDisplayNames(device, "3 layers, bidirectional");
            yield return new TestCaseData(device, 1L, false, false, "relu", true).SetArgDisplayNames(device, "relu");
            yield return new TestCaseData(device, 2L, false, false, "tanh", false).SetArgDisplayNames(device, "no bias");
            yield return new TestCaseData(device, 2L, true, true, "tanh", true).SetArgDisplayNames(device, "batch_first, bidirectional");
        }
    }

    [TestCaseSource(nameof(Configurations))]
    public void Run_Configuration_MatchesNnRnnInFloat64(string device, long layers, bool bidirectional, bool batchFirst, string nonlinearity, bool bias)
    {
        torch.manual_seed(1);
        var dev = torch.device(device);
        var rnn = nn.RNN(4, 5, layers, nonlinearity, bias, batchFirst, bidirectional: bidirectional, device: dev, dtype: float64);
        AssertMatches(rnn, randn(3, 6, 4, dtype: float64, device: dev));
    }

    [Test]
    public void Run_GivenH0_MatchesNnRnnInFloat64()
    {
        torch.manual_seed(2);
        var rnn = nn.RNN(4, 3, num_layers: 2, bidirectional: true, dtype: float64);
        var x = randn(5, 2, 4, dtype: float64);
        var h_0 = randn(4, 2, 3, dtype: float64);

        var (mine, mine_h_n) = Elman.Run(rnn, x, h_0);
        var (theirs, theirs_h_n) = rnn.call(x, h_0);

        Assert.That(Elman.MaxAbsDiff(mine, theirs), Is.LessThan(Tolerance));
        Assert.That(Elman.MaxAbsDiff(mine_h_n, theirs_h_n), Is.LessThan(Tolerance));
    }

    [Test]
    public void Run_WithoutCallerScope_ReturnsOnlyTheResults()
    {
        using var rnn = nn.RNN(4, 3, num_layers: 2, bidirectional: true, dtype: float64);
        using var x = randn(5, 2, 4, dtype: float64);
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;

        var (outputs, h_n) = Elman.Run(rnn, x);

        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live + 2), "every temporary of the equations is disposed");
        outputs.Dispose();
        h_n.Dispose();
    }

    [Test]
    public void Output_EveryStep_MatchesLinearInFloat64()
    {
        torch.manual_seed(3);
        var linear = torch.nn.Linear(3, 2, dtype: float64);
        var hs = randn(5, 4, 3, dtype: float64);

        var ys = Elman.Output(hs, linear.weight!, linear.bias);

        Assert.That(ys.shape, Is.EqualTo(new long[] { 5, 4, 2 }));
        Assert.That(Elman.MaxAbsDiff(ys, linear.call(hs)), Is.LessThan(Tolerance));
    }

    [Test]
    public void Layer_Reverse_EndsAtTheFirstStep()
    {
        torch.manual_seed(4);
        var rnn = nn.RNN(2, 3, bidirectional: true, dtype: float64);
        var x = randn(4, 1, 2, dtype: float64);

        var hs = Elman.Layer(x, zeros(1, 3, dtype: float64), rnn.get_parameter("weight_ih_l0_reverse")!,
            rnn.get_parameter("weight_hh_l0_reverse")!, rnn.get_parameter("bias_ih_l0_reverse"), rnn.get_parameter("bias_hh_l0_reverse"), reverse: true);
        var (_, h_n) = rnn.call(x);

        // The reverse direction's h_n is its state after reading x_1, the last it reads.
        Assert.That(Elman.MaxAbsDiff(hs[0], h_n[1]), Is.LessThan(Tolerance));
    }

    [Test]
    [NonParallelizable] // it writes to Console.Out
    public void Main_DefaultSeed_PrintsMatchesAndExitsZero()
    {
        var (code, output) = SampleRunner.Run("FromScratch", "--seed", "0");

        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("W_xh = weight_ih_l0 (H_out, H_in): torch.Size([3, 4])\n")
            .And.Contain("x_t = x[t] (N, H_in): torch.Size([2, 4])\n")
            .And.Contain("RNN(4, 3, num_layers=2)\n")
            .And.Contain("concatenated (L, N, 2 * H_out): torch.Size([5, 2, 6])\n")
            .And.Contain("RNN(4, 3, num_layers=2, bidirectional=True)\n")
            .And.Contain("(below 1e-12: the equations are nn.RNN)\n"));
        Assert.That(output, Does.Not.Contain("TOO LARGE"));
    }

    private static void AssertMatches(RNN rnn, Tensor input)
    {
        if (rnn.batch_first)
            input = input.transpose(0, 1);
        var (mine, mine_h_n) = Elman.Run(rnn, input);
        var (theirs, theirs_h_n) = rnn.call(input);

        Assert.That(mine.shape, Is.EqualTo(theirs.shape));
        Assert.That(mine_h_n.shape, Is.EqualTo(theirs_h_n.shape));
        Assert.That(Elman.MaxAbsDiff(mine, theirs), Is.LessThan(Tolerance), "output");
        Assert.That(Elman.MaxAbsDiff(mine_h_n, theirs_h_n), Is.LessThan(Tolerance), "h_n");
    }
}

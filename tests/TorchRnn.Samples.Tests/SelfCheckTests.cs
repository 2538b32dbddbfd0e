using System.Linq;
using NUnit.Framework;
using TorchRnn.Tests.Support;

namespace TorchRnn.Samples.Tests;

/// <summary>The SelfCheck sample prints what a bug report needs: the machine, LibTorch's build and every kernel's verdict.</summary>
[NonParallelizable] // it writes to Console.Out
public class SelfCheckTests
{
    [Test]
    public void Run_TwoSizes_PrintsTheMachineAndOneRowPerKernelCheck()
    {
        var (code, printed) = SampleRunner.Run("SelfCheck", "--sizes", "6,32");

        Assert.That(code, Is.EqualTo(0));
        Assert.That(printed, Does.StartWith("TorchSharp's own torch.nn.LSTM(5, 6, 2) under no_grad, float32 against float64: largest difference "));
        Assert.That(printed, Does.Contain("\nTorchRnn kernel self-check\nCPU: "));
        Assert.That(printed, Does.Contain("\n36 checks, "));
        var rows = printed.Split('\n').Where(l => l.StartsWith("| right |") || l.StartsWith("| **wrong** |")).ToList();
        Assert.That(rows, Has.Count.EqualTo(36));
        Assert.That(rows, Has.Some.Contain("LSTM(6, 6, num_layers=2), float32 on cpu, under no_grad"));
        Assert.That(printed.TrimEnd(), Does.EndWith("right on this machine.").Or.EndWith("with their own engine."));
    }

    [Test]
    public void Run_MalformedSizes_IsAUsageError()
    {
        var (code, _, error) = SampleRunner.RunCapturingErrors("SelfCheck", "--sizes", "6,x");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("--sizes takes positive whole numbers"));
    }
}

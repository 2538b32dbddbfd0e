using NUnit.Framework;
using Patterns;
using TorchRnn.Tests.Support;

namespace TorchRnn.Samples.Tests;

/// <summary>Each pattern of the Patterns sample, after its short training, clearly beats chance on held-out data.</summary>
public class PatternsTests
{
    [Test]
    public void Run_ManyToOne_BeatsChanceClearly()
    {
        var result = ManyToOne.Run(seed: 0, ManyToOne.DefaultSteps);

        Assert.That(result.Chance, Is.InRange(0.45, 0.55));
        Assert.That(result.Score, Is.GreaterThan(0.85));
    }

    [Test]
    public void Run_ManyToManyAligned_BeatsChanceClearly()
    {
        var result = ManyToManyAligned.Run(seed: 0, ManyToManyAligned.DefaultSteps);

        Assert.That(result.Chance, Is.InRange(0.45, 0.55));
        Assert.That(result.Score, Is.GreaterThan(0.9));
    }

    [Test]
    public void Run_OneToMany_ErrorFarBelowPredictingTheMean()
    {
        var result = OneToMany.Run(seed: 0, OneToMany.DefaultSteps);

        Assert.That(result.HigherIsBetter, Is.False);
        Assert.That(result.Chance, Is.InRange(0.6, 0.67)); // the mean |sin| over a circle is 2/π
        Assert.That(result.Score, Is.LessThan(0.1));
    }

    [Test]
    public void Run_ManyToManyUnaligned_ReversesTokensWellAboveChance()
    {
        var result = ManyToManyUnaligned.Run(seed: 0, ManyToManyUnaligned.DefaultSteps);

        Assert.That(result.Chance, Is.InRange(0.15, 0.2)); // about 1/6
        Assert.That(result.Score, Is.GreaterThan(0.8));
    }

    [Test]
    public void Run_NoTraining_ScoresNearChance()
    {
        // The thresholds above mean something: an untrained model is near chance.
        var result = ManyToManyUnaligned.Run(seed: 0, steps: 0);

        Assert.That(result.Score, Is.LessThan(0.4));
    }

    [Test]
    public void Run_AnyPattern_LeavesNoTensorsAlive()
    {
        var stats = TorchSharp.DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;

        ManyToOne.Run(seed: 0, steps: 3);
        ManyToManyAligned.Run(seed: 0, steps: 3);
        OneToMany.Run(seed: 0, steps: 3);
        ManyToManyUnaligned.Run(seed: 0, steps: 3);

        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live));
    }

    [Test]
    [NonParallelizable] // it writes to Console.Out
    public void Main_QuickRun_PrintsEveryPatternAndExitsZero()
    {
        var (code, output) = SampleRunner.Run("Patterns", "--seed", "1", "--steps", "20");

        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain("  x (L, N, H_in): torch.Size([10, 1000, 1])\n")
            .And.Contain("  scores = Linear(output) (L, N, classes): torch.Size([12, 1000, 2])\n")
            .And.Contain("  y_1 ... y_T (T, N, 2): torch.Size([12, 1000, 2])\n")
            .And.Contain("  encoder h_n[0] = decoder h_0 (N, H): torch.Size([1000, 64])\n")
            .And.Contain("summary\n  many-to-one: accuracy ")
            .And.Contain("\n  many-to-many, unaligned: accuracy "));
    }
}

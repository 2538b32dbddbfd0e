using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Tests.Support;

namespace TorchRnn.Samples.Tests;

/// <summary>GradientFlow and TrainSequence: their core functions, and their programs in small quick runs.</summary>
[NonParallelizable] // the programs write to Console.Out and set LibTorch's thread count
public class TrainingSamplesTests
{
    private static FlowCase Case(string name) => GradientFlow.Cases.Single(c => c.Name == name);

    [TestCase("rnn 0.9", 0.9)]
    [TestCase("rnn 1.1", 1.1)]
    public void GradientFlow_LinearTanhRnn_FactorIsTheRecurrentGain(string name, double gain)
    {
        var result = GradientFlow.Measure(Case(name), steps: 40);

        Assert.That(result.Norms[0], Is.EqualTo(1.0).Within(1e-5));
        Assert.That(result.Factor, Is.EqualTo(gain).Within(1e-3));
        Assert.That(result.Norms[10], Is.EqualTo(System.Math.Pow(gain, 10)).Within(1e-2));
    }

    [Test]
    public void GradientFlow_OpenKeepGate_GatedCellsKeepTheGradient()
    {
        Assert.That(GradientFlow.Measure(Case("lstm forget+2"), steps: 40).Factor, Is.GreaterThan(0.95));
        Assert.That(GradientFlow.Measure(Case("gru update+2"), steps: 40).Factor, Is.GreaterThan(0.95));
        Assert.That(GradientFlow.Measure(Case("lstm"), steps: 40).Factor, Is.LessThan(0.8));
        Assert.That(GradientFlow.Measure(Case("rnn 1.1 saturated"), steps: 40).Factor, Is.LessThan(1.0));
    }

    [Test]
    public void GradientFlow_Clip_ExplodingNormBoundedToMaxNorm()
    {
        var (before, after) = GradientFlow.Clip(Case("rnn 1.1"), maxNorm: 1.0, steps: 60);

        Assert.That(before, Is.GreaterThan(100));
        Assert.That(after, Is.EqualTo(1.0).Within(1e-4));
    }

    [Test]
    public void GradientFlow_FitFactor_GeometricSeries_RecoversRatio()
    {
        Assert.That(GradientFlow.FitFactor([.. Enumerable.Range(0, 20).Select(d => 3 * System.Math.Pow(0.7, d))]),
            Is.EqualTo(0.7).Within(1e-12));
    }

    [Test]
    public void GradientFlow_Main_PrintsTutorialFiguresAndWritesChart()
    {
        var dir = TempDir();
        var (code, printed) = SampleRunner.Run("GradientFlow", "--out", dir);

        Assert.That(code, Is.EqualTo(0));
        Assert.That(printed, Does.Contain("0.9^10 = 0.3487, 0.9^20 = 0.1216").And.Contain("1.1^10 = 2.5937, 1.1^20 = 6.7275"));
        Assert.That(new FileInfo(Path.Combine(dir, "gradient-flow.png")).Length, Is.GreaterThan(10_000));
    }

    [Test]
    public void TrainSequence_ShortDelay_GruLearnsIt()
    {
        var run = Trainer.Train(new TrainOptions(Cell: "gru", Epochs: 4, BatchesPerEpoch: 40, Length: 6, Delay: 4));

        Assert.That(run.FinalAccuracy, Is.GreaterThan(0.9));
        Assert.That(run.Epochs[^1].Loss, Is.LessThan(run.Epochs[0].Loss));
    }

    [Test]
    public void TrainSequence_TbpttShorterThanTheDelay_CannotLearnIt()
    {
        // The answer depends on step L - 4, but the gradient reaches back 2 steps only: no cell can learn it.
        var run = Trainer.Train(new TrainOptions(Cell: "gru", Epochs: 2, BatchesPerEpoch: 30, Length: 6, Delay: 4, Tbptt: 2));

        Assert.That(run.FinalAccuracy, Is.LessThan(0.45));
    }

    [Test]
    public void TrainSequence_RecallTask_MarksOneStepAndAnswersIt()
    {
        using var generator = new TorchSharp.torch.Generator(7);
        var (x, y) = RecallTask.Batch(batchSize: 5, length: 8, delay: 3, symbols: 4, noiseRate: 1.0, generator);

        Assert.That(x.shape, Is.EqualTo(new long[] { 8, 5, 5 }));
        Assert.That(x[.., .., 4].sum().item<float>(), Is.EqualTo(5f), "one marked step per sequence");
        Assert.That(x[5, .., 4].sum().item<float>(), Is.EqualTo(5f), "marked at L - delay");
        Assert.That(x[5, .., ..4].argmax(1).data<long>().ToArray(), Is.EqualTo(y.data<long>().ToArray()), "the answer is the marked symbol");
    }

    [Test]
    public void TrainSequence_MainQuick_WritesTableChartAndSummary()
    {
        var dir = TempDir();
        // --quick as CI runs it, cut to one short epoch per cell to keep the test fast.
        var (code, printed) = SampleRunner.Run("TrainSequence", "--quick", "--epochs", "1", "--batches", "5", "--out", dir);

        Assert.That(code, Is.EqualTo(0));
        Assert.That(printed, Does.Contain("rnn epoch 1/1").And.Contain("lstm").And.Contain("gru").And.Contain("verdict"));
        Assert.That(new FileInfo(Path.Combine(dir, "loss.png")).Length, Is.GreaterThan(10_000));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.That(summary.RootElement.EnumerateArray().Select(r => r.GetProperty("cell").GetString()),
            Is.EqualTo(new[] { "rnn", "lstm", "gru" }));
    }

    [Test]
    public void Readme_TrainingLoop_IsTheSamplesCode()
    {
        var root = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../.."));
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var section = readme[readme.IndexOf("## Training", System.StringComparison.Ordinal)..];
        var start = section.IndexOf("```csharp\n", System.StringComparison.Ordinal) + "```csharp\n".Length;
        var snippet = section[start..section.IndexOf("```\n", start, System.StringComparison.Ordinal)];
        var source = File.ReadAllText(Path.Combine(root, "samples/TrainSequence/Training.cs"));

        var lines = snippet.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        var code = string.Join('\n', source.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
        Assert.That(code, Does.Contain(string.Join('\n', lines)));
    }

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "torchrnn-" + System.Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

using System.IO;
using System.Text.RegularExpressions;
using NUnit.Framework;
using TorchRnn.Tests.Support;

namespace TorchRnn.Samples.Tests;

/// <summary>
/// Each sample with a Python twin prints what the twin printed under PyTorch (tests/fixtures/{Sample}-seed{S}.txt,
/// written by generate.py), character for character; FromPyTorch predicts what train.py's PyTorch model predicted.
/// </summary>
[NonParallelizable] // it writes to Console.Out
public class PythonTwinTests
{
    [TestCase("Quickstart", 0)]
    [TestCase("Quickstart", 3)]
    [TestCase("GatedCells", 0)]
    [TestCase("GatedCells", 3)]
    public void Main_Seed_PrintsWhatPyTorchPrints(string sample, int seed)
    {
        var python = File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", $"{sample}-seed{seed}.txt"));
        // TorchSharp exposes no grad_fn name, so TorchRnn prints none; everything else must match to the character.
        var expected = Regex.Replace(python, @",\s*grad_fn=<\w+>\)", ")");

        var (code, printed) = SampleRunner.Run(sample, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.That(code, Is.EqualTo(0));
        Assert.That(printed, Is.EqualTo(expected));
    }

    [Test]
    public void Quickstart_Seed0_PrintsTheTutorialsReprsAndShapes()
    {
        var (_, printed) = SampleRunner.Run("Quickstart", "--seed", "0");
        Assert.That(printed, Does.StartWith("RNNCell(3, 2)\nRNN(5, 6, num_layers=2)\n")
            .And.Contain("torch.Size([1, 3, 6])").And.Contain("torch.Size([2, 3, 6])"));
    }

    [Test]
    public void FromPyTorch_WeightsTrainedByTrainPy_PredictsWhatPyTorchPredictedAndSavesThemBack()
    {
        var saved = Path.Combine(TestContext.CurrentContext.WorkDirectory, "FromPyTorch-sine_gru.pt");
        File.Delete(saved);

        var (code, printed) = SampleRunner.Run("FromPyTorch", "--save", saved);

        Assert.That(code, Is.EqualTo(0), printed);
        Assert.That(printed, Does.Contain("C# agrees with PyTorch: largest difference")
            .And.Contain("reloaded in C#, identical predictions"));
        Assert.That(File.Exists(saved), Is.True, "the checkpoint saved for PyTorch");
    }
}

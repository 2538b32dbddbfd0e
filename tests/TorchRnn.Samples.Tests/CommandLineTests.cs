using NUnit.Framework;
using TorchRnn.Tests.Support;

namespace TorchRnn.Samples.Tests;

/// <summary>Every sample reads its command line one way (samples/Shared/SampleCommandLine.cs): --help, errors, exit code 2.</summary>
[NonParallelizable] // it writes to Console.Out
public class CommandLineTests
{
    private static readonly string[] Samples =
        ["Quickstart", "GatedCells", "FromScratch", "Patterns", "VariableLength", "FromPyTorch", "GradientFlow", "TrainSequence", "ForecastMlNet"];

    [TestCaseSource(nameof(Samples))]
    public void Help_PrintsUsageAndOptions_ExitsZero(string sample)
    {
        var (code, output, error) = SampleRunner.RunCapturingErrors(sample, "--help");

        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.Contain($"Usage:\n  {sample} [options]").And.Contain("--help"));
        Assert.That(error, Is.Empty);
    }

    [TestCaseSource(nameof(Samples))]
    public void UnknownOption_IsAnError_ExitsTwo(string sample)
    {
        var (code, output, error) = SampleRunner.RunCapturingErrors(sample, "--sed", "3");

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain($"{sample}: Unrecognized command or argument '--sed'.").And.Contain($"Try '{sample} --help'"));
        Assert.That(output, Is.Empty, "nothing ran");
    }

    [TestCase("Quickstart", "--seed", "x")]
    [TestCase("Patterns", "--steps", "0")]
    [TestCase("GradientFlow", "--steps", "ten")]
    [TestCase("TrainSequence", "--epochs", "x")]
    [TestCase("TrainSequence", "--cell", "rnn,transformer")]
    [TestCase("TrainSequence", "--device", "tpu")]
    public void MalformedValue_IsAnError_ExitsTwo(string sample, string option, string value)
    {
        var (code, output, error) = SampleRunner.RunCapturingErrors(sample, option, value);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain(option).Or.Contain(value));
        Assert.That(output, Is.Empty, "nothing ran");
    }
}

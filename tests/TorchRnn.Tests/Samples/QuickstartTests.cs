using System;
using System.IO;
using System.Reflection;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace TorchRnn.Tests.Samples;

/// <summary>The Quickstart sample prints what its Python twin prints (tests/fixtures/quickstart-seed*.txt).</summary>
[NonParallelizable] // it writes to Console.Out
public class QuickstartTests
{
    [TestCase(0)]
    [TestCase(3)]
    public void Main_Seed_PrintsWhatPyTorchPrints(int seed)
    {
        var python = File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", $"quickstart-seed{seed}.txt"));
        // TorchSharp exposes no grad_fn name, so TorchRnn prints none; everything else must match to the character.
        var expected = Regex.Replace(python, @",\s*grad_fn=<\w+>\)", ")");

        var entry = Assembly.Load("Quickstart").EntryPoint!;
        var previous = Console.Out;
        var captured = new StringWriter { NewLine = "\n" };
        Console.SetOut(captured);
        object? code;
        try
        {
            code = entry.Invoke(null, [new[] { "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture) }]);
        }
        finally
        {
            Console.SetOut(previous);
        }

        Assert.That(code, Is.EqualTo(0));
        Assert.That(captured.ToString(), Is.EqualTo(expected));
        Assert.That(expected, Does.Contain("RNNCell(3, 2)\nRNN(5, 6, num_layers=2)\n").And.Contain("torch.Size([1, 3, 6])").And.Contain("torch.Size([2, 3, 6])"));
    }
}

using System;
using System.IO;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Ports;
using TorchSharp;

namespace TorchRnn.Tests.Ports;

/// <summary>Issue 16's tagger, ported with one <c>nn</c>, prints and differentiates as PyTorch does.</summary>
[NonParallelizable] // it writes to Console.Out
public class TaggerPortTests
{
    [Test]
    public void Tagger_Seed0_PrintsPyTorchsShapeReprAndLoss()
    {
        var fixture = PortFixtures.Load("tagger");
        // TorchSharp exposes no grad_fn name, so TorchRnn prints none; the rest must match to the character.
        var expected = Regex.Replace(fixture.GetProperty("printed").GetString()!, @",\s*grad_fn=<\w+>\)", ")");
        using var scope = torch.NewDisposeScope();

        var (printed, model) = Capture(() =>
        {
            torch.manual_seed(0);
            var model = new Tagger();
            var x = torch.randint(0, 100, [4, 7]);
            var lengths = torch.tensor(new long[] { 7, 3, 5, 2 });
            var y = model.call(x, lengths);
            Py.print(y.shape);
            Py.print(model);
            var loss = nn.functional.cross_entropy(y.reshape(-1, 5), torch.randint(0, 5, [28]));
            Py.print(loss);
            loss.backward();
            return model;
        });

        Assert.That(printed, Is.EqualTo(expected));
        var norms = fixture.GetProperty("grad_norms");
        foreach (var (name, parameter) in model.named_parameters())
        {
            Assert.That(parameter.grad!.norm().item<float>(), Is.EqualTo(norms.GetProperty(name).GetDouble()).Within(1e-4).Percent, name);
        }
    }

    private static (string Printed, T Result) Capture<T>(Func<T> action)
    {
        var previous = Console.Out;
        var output = new StringWriter { NewLine = "\n" };
        Console.SetOut(output);
        try
        {
            var result = action();
            return (output.ToString(), result);
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}

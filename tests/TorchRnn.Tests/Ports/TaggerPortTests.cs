using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Ports;
using TorchRnn.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

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

        // Built before the seed: construction draws.
        var reference = Reference();
        var (printed, (model, loss)) = Capture(() =>
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
            return (model, loss.item<float>());
        });

        // The LSTM's dropout (0.1, training) masks the loss, the gradients and, through the generator's position,
        // the targets: on an Intel CPU LibTorch draws other masks than PyTorch's (DrawPath), so those are checked
        // against the tagger re-derived with the masks this LibTorch draws, and PyTorch's only where the masks are
        // PyTorch's. The shape and the repr hold for any mask.
        var lines = printed.Split('\n');
        Assert.That(lines[..^2], Is.EqualTo(expected.Split('\n')[..^2]), "shape and repr");
        Assert.That(loss, Is.EqualTo(reference.Loss).Within(1e-5).Percent, "loss against the re-derived tagger");
        foreach (var (name, parameter) in model.named_parameters())
            Assert.That(parameter.grad!.norm().item<float>(), Is.EqualTo(reference.Norms[name]).Within(1e-4).Percent, name + " against the re-derived tagger");
        if (!DrawPath.MatchesFixtures) return;

        Assert.That(printed, Is.EqualTo(expected));
        var norms = fixture.GetProperty("grad_norms");
        foreach (var (name, parameter) in model.named_parameters())
        {
            Assert.That(parameter.grad!.norm().item<float>(), Is.EqualTo(norms.GetProperty(name).GetDouble()).Within(1e-4).Percent, name);
        }
    }

    /// <summary>
    /// The same seeded run with the tagger's LSTM as two one-layer bidirectional LSTMs without dropout and the mask
    /// between them drawn in ATen's order (<see cref="DropoutStack"/>): the loss and each gradient's norm.
    /// </summary>
    private static (float Loss, Dictionary<string, float> Norms) Reference()
    {
        using var scope = torch.NewDisposeScope();
        var ones = new[] { nn.LSTM(16, 32, bidirectional: true), nn.LSTM(64, 32, bidirectional: true) };
        torch.manual_seed(0);
        var model = new Tagger();
        var x = torch.randint(0, 100, [4, 7]);
        var lengths = torch.tensor(new long[] { 7, 3, 5, 2 });
        var parts = model.named_children().ToDictionary(c => c.name, c => c.module);
        for (var k = 0; k < ones.Length; k++) DropoutStack.CopyLayer(parts["lstm"], k, ones[k]);

        var e = ((Embedding)parts["embedding"]).call(x);
        var packed = nn.utils.rnn.pack_padded_sequence(e, lengths, batch_first: true, enforce_sorted: false);
        PackedSequence Repack(Tensor data) => new(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices);
        var (data, _, _) = DropoutStack.Forward(2, 2, 0.1, packed.data, null, null, (k, input, _, _) =>
        {
            var (o, (h, c)) = ones[k].call(Repack(input));
            return (o.data, h, c);
        });
        var (y, _) = nn.utils.rnn.pad_packed_sequence(Repack(data), batch_first: true);
        var scores = ((Linear)parts["fc"]).call(y);
        var loss = nn.functional.cross_entropy(scores.reshape(-1, 5), torch.randint(0, 5, [28]));
        loss.backward();

        var norms = model.named_parameters().Where(p => !p.name.StartsWith("lstm.", StringComparison.Ordinal))
            .ToDictionary(p => p.name, p => p.parameter.grad!.norm().item<float>());
        foreach (var (name, grad) in DropoutStack.Grads(ones)) norms["lstm." + name] = grad.norm().item<float>();
        return (loss.item<float>(), norms);
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

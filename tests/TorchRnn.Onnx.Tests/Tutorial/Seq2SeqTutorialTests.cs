using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchRnn.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests.Tutorial;

/// <summary>
/// PyTorch's seq2seq translation tutorial with PyTorch 1.13's trained weights (fixtures/seq2seq_tutorial.py): TorchRnn
/// decodes PyTorch's tokens, and so does ONNX Runtime, running the encoder and the attention decoder (its greedy loop
/// included) as TorchRnn.Onnx exports them.
/// </summary>
[TestFixture]
public class Seq2SeqTutorialTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>One evaluation batch of the fixture: the source tokens and PyTorch's results.</summary>
    public sealed record Case(int Index, Tensor Tokens, Tensor Decoded, Tensor DecoderOutputs, Tensor Attentions, Tensor DecoderHidden)
    {
        public override string ToString() => $"case {Index}: tokens [{string.Join(", ", Tokens.shape)}]";
    }

    private static JsonElement Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture("seq2seq.json")));
        return document.RootElement.Clone();
    }

    private static Tensor Longs(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();
        return torch.tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);
    }

    private static Tensor Floats(JsonElement values, long[] shape)
        => torch.tensor(values.EnumerateArray().Select(x => x.GetSingle()).ToArray(), shape);

    private static long[] Shape(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    private static List<Case> Cases(JsonElement fixture)
        => fixture.GetProperty("cases").EnumerateArray().Select((c, i) =>
        {
            var tokens = Longs(c.GetProperty("tokens"));
            return new Case(i, tokens, Longs(c.GetProperty("decoded")),
                Floats(c.GetProperty("decoder_outputs"), Shape(c.GetProperty("decoder_outputs_shape"))),
                Floats(c.GetProperty("attentions"), Shape(c.GetProperty("attentions_shape"))),
                Floats(c.GetProperty("decoder_hidden"), [1, tokens.shape[0], fixture.GetProperty("hidden").GetInt64()]));
        }).ToList();

    private static Seq2Seq Model(JsonElement fixture)
    {
        var model = new Seq2Seq(fixture.GetProperty("input_words").GetInt64(), fixture.GetProperty("output_words").GetInt64(),
            fixture.GetProperty("hidden").GetInt64());
        Checkpoint.load(model, Fixture("seq2seq.pt"));
        model.eval();
        return model;
    }

    /// <summary>float32 agreement as <c>torch.allclose(actual, expected, rtol=1e-5, atol=1e-5)</c>: relative as well as
    /// absolute, because the trained model's log-probabilities reach magnitudes of 10 and more, where 1e-5 absolute is
    /// a few float32 ulps.</summary>
    private static void AssertClose(Tensor actual, Tensor expected, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what}: shape");
        var excess = ((actual - expected).abs() - (1e-5 + 1e-5 * expected.abs())).max().item<float>();
        var largest = (actual - expected).abs().max().item<float>();
        Assert.That(excess, Is.LessThanOrEqualTo(0), $"{what}: largest difference {largest:E2}, beyond rtol = atol = 1e-5");
    }

    [Test]
    public void TorchRnn_WithPyTorchsWeights_DecodesPyTorchsTokens()
    {
        using var scope = torch.NewDisposeScope();
        var fixture = Load();
        Assert.That(fixture.GetProperty("torch").GetString(), Does.StartWith("1.13"));
        var model = Model(fixture);
        using var noGrad = torch.no_grad();
        foreach (var c in Cases(fixture))
        {
            var (encoder_outputs, encoder_hidden) = model.encoder.call(c.Tokens);
            var (decoder_outputs, decoder_hidden, attentions) = model.decoder.call(encoder_outputs, encoder_hidden);
            var (_, topi) = decoder_outputs.topk(1);
            Assert.That(topi.squeeze(-1).data<long>().ToArray(), Is.EqualTo(c.Decoded.data<long>().ToArray()), $"{c}: decoded tokens");
            AssertClose(decoder_outputs, c.DecoderOutputs, $"{c}: decoder outputs");
            AssertClose(attentions, c.Attentions, $"{c}: attentions");
            AssertClose(decoder_hidden, c.DecoderHidden, $"{c}: decoder hidden");
        }
    }

    [Test]
    public void OnnxRuntime_EncoderAndAttentionDecoderExported_DecodePyTorchsTokens()
    {
        using var scope = torch.NewDisposeScope();
        var fixture = Load();
        var model = Model(fixture);
        var cases = Cases(fixture);
        var example = cases[0].Tokens;

        using var encoder = Exported.From(path => onnx.export(model.encoder, example, path, forward: model.encoder.forward,
            output_names: ["encoder_outputs", "encoder_hidden"]));
        Tensor exampleOutputs, exampleHidden;
        using (torch.no_grad()) (exampleOutputs, exampleHidden) = model.encoder.call(example);
        using var decoder = Exported.From(path =>
        {
            using var graph = new OnnxGraph(model.decoder);
            var encoder_outputs = graph.input("encoder_outputs", exampleOutputs, "batch", "source", null);
            var encoder_hidden = graph.input("encoder_hidden", exampleHidden, null, "batch", null);
            var (decoder_outputs, decoder_hidden, attentions) = model.decoder.forward(encoder_outputs, encoder_hidden);
            var (_, topi) = decoder_outputs.topk(1);
            graph.output("decoded", topi.squeeze(-1));
            graph.output("decoder_outputs", decoder_outputs);
            graph.output("decoder_hidden", decoder_hidden);
            graph.output("attentions", attentions);
            graph.save(path);
        });

        using var noGrad = torch.no_grad();
        foreach (var c in cases)
        {
            var encoded = encoder.Runtime.Run(("input", c.Tokens));
            var decoded = decoder.Runtime.Run(("encoder_outputs", encoded["encoder_outputs"]), ("encoder_hidden", encoded["encoder_hidden"]));
            Assert.That(decoded["decoded"].data<long>().ToArray(), Is.EqualTo(c.Decoded.data<long>().ToArray()),
                $"{c}: ONNX Runtime decodes PyTorch's tokens");
            AssertClose(decoded["decoder_outputs"], c.DecoderOutputs, $"{c}: decoder outputs against PyTorch");
            AssertClose(decoded["attentions"], c.Attentions, $"{c}: attentions against PyTorch");

            var (encoder_outputs, encoder_hidden) = model.encoder.call(c.Tokens);
            var (decoder_outputs, decoder_hidden, attentions) = model.decoder.call(encoder_outputs, encoder_hidden);
            Close.Assert(encoded["encoder_outputs"], encoder_outputs, $"{c}: encoder outputs against TorchRnn");
            AssertClose(decoded["decoder_outputs"], decoder_outputs, $"{c}: decoder outputs against TorchRnn");
            Close.Assert(decoded["decoder_hidden"], decoder_hidden, $"{c}: decoder hidden against TorchRnn");
            Close.Assert(decoded["attentions"], attentions, $"{c}: attentions against TorchRnn");
        }
    }
}

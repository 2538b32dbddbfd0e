using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using TorchModules = TorchSharp.Modules;

namespace TorchRnn.Onnx.Tests;

/// <summary>Whole models: recurrent layers with the layers around them, exported as their forwards compute.</summary>
[TestFixture]
public class ModelExportTests
{
    [Test]
    public void Export_GruThenLinear_WithItsForwardOnOnnxTensor_MatchesTheModel()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var model = new SineModel();
        using var exported = Exported.From(path =>
            onnx.export(model, torch.randn(4, 20, 1), path, forward: x => model.head.call(model.rnn.call(x).output)));
        using var noGrad = torch.no_grad();
        foreach (var (batch, length) in new (long, long)[] { (1, 1), (3, 7), (6, 30) })
        {
            var x = torch.randn(batch, length, 1);
            Close.Assert(exported.Runtime.Run(("input", x))["output"], model.call(x), $"N={batch}, L={length}");
        }
    }

    [Test]
    public void Export_EmbeddingLstmLastStepLinear_MatchesTheModel()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        var model = new Classifier();
        model.eval();
        using var exported = Exported.From(path => onnx.export(model, torch.randint(0, 10, [2, 6]), path, forward: model.Forward));
        using var noGrad = torch.no_grad();
        foreach (var (batch, length) in new (long, long)[] { (1, 1), (5, 3), (2, 11) })
        {
            var tokens = torch.randint(0, 10, [batch, length]);
            Close.Assert(exported.Runtime.Run(("input", tokens))["output"], model.call(tokens), $"N={batch}, L={length}");
        }
    }

    [Test]
    public void Export_EmbeddingWithMaxNorm_MatchesTorchSharpsRenormalisedLookupForEveryIndex()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(6);
        var embedding = torch.nn.Embedding(20, 6, max_norm: 0.5);
        embedding.eval();
        var untouched = embedding.weight![10].detach().clone();
        using var exported = Exported.Of(embedding, torch.tensor(new long[] { 1, 2, 3 }).unsqueeze(0));
        Assert.That(embedding.weight![10].eq(untouched).all().item<bool>(), Is.True, "the export leaves rows outside the example as they were");
        var tokens = torch.cat([torch.arange(20L), torch.tensor(new long[] { 10, 3, 10, 19 })]).reshape(2, 12);
        var actual = exported.Runtime.Run(("input", tokens))["output"];
        using var noGrad = torch.no_grad();
        Close.Assert(actual, embedding.call(tokens), "ONNX Runtime against TorchSharp's renormalised lookup");
        Assert.That(actual.norm(-1).max().item<float>(), Is.LessThanOrEqualTo(0.5f), "every row's norm is at most max_norm");
    }

    [Test]
    public void Export_EncoderReturningOutputsAndState_WithItsForwardOnOnnxTensor_MatchesTheModel()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var model = new TokenEncoder();
        using var exported = Exported.From(path => onnx.export(model, torch.randint(0, 10, [2, 6]), path,
            forward: x => model.gru.call(model.embedding.call(x)), output_names: ["encoder_outputs", "encoder_hidden"]));
        Assert.That(exported.Runtime.OutputNames, Is.EqualTo(new[] { "encoder_outputs", "encoder_hidden" }));
        using var noGrad = torch.no_grad();
        foreach (var (batch, length) in new (long, long)[] { (1, 1), (3, 9) })
        {
            var tokens = torch.randint(0, 10, [batch, length]);
            var results = exported.Runtime.Run(("input", tokens));
            var (outputs, hidden) = model.call(tokens);
            Close.Assert(results["encoder_outputs"], outputs, $"outputs, N={batch}, L={length}");
            Close.Assert(results["encoder_hidden"], hidden, $"hidden, N={batch}, L={length}");
        }
    }

    [Test]
    public void Export_Sequential_EveryLayerTheExporterKnows_MatchesTheModel()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var dense = torch.nn.Sequential(
            ("in", torch.nn.Linear(4, 8)), ("relu", torch.nn.ReLU()), ("drop", torch.nn.Dropout(0.3)), ("norm", torch.nn.LayerNorm(8)),
            ("tanh", torch.nn.Tanh()), ("same", torch.nn.Identity()), ("mid", torch.nn.Linear(8, 6, hasBias: false)),
            ("sigmoid", torch.nn.Sigmoid()), ("out", torch.nn.Linear(6, 3)), ("softmax", torch.nn.Softmax(-1)));
        var words = torch.nn.Sequential(("embed", torch.nn.Embedding(10, 5)), ("out", torch.nn.Linear(5, 3)),
            ("log_softmax", torch.nn.LogSoftmax(-1)));
        using var exportedDense = Exported.Of(dense, torch.randn(2, 3, 4));
        using var exportedWords = Exported.Of(words, torch.randint(0, 10, [2, 3]));
        Assert.That(dense.training, Is.True, "the export puts the model back in training mode");
        dense.eval();
        using var noGrad = torch.no_grad();
        foreach (var shape in new long[][] { [1, 1, 4], [5, 2, 4] }) // the rank is the example's; the other axes are dynamic
        {
            var x = torch.randn(shape);
            Close.Assert(exportedDense.Runtime.Run(("input", x))["output"], dense.call(x), $"dense, [{string.Join(", ", shape)}]");
        }
        var tokens = torch.randint(0, 10, [4, 7]);
        Close.Assert(exportedWords.Runtime.Run(("input", tokens))["output"], words.call(tokens), "embedding");
    }

    [Test]
    public void Export_PackedClassifier_TakesPaddedInputAndLengths_MatchesTheModel()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(6);
        var model = new PackedClassifier();
        model.eval();
        var example = nn.utils.rnn.pack_sequence([torch.randn(4, 2), torch.randn(2, 2), torch.randn(3, 2)], enforce_sorted: false);
        using var exported = Exported.From(path => onnx.export(model, example, path, forward: model.Forward));
        Assert.That(exported.Runtime.InputNames, Is.EqualTo(new[] { "input", "lengths" }));
        using var noGrad = torch.no_grad();
        foreach (var lengths in new long[][] { [1], [5, 2, 7, 3] })
        {
            var sequences = lengths.Select(l => torch.randn(l, 2)).ToList();
            var padded = nn.utils.rnn.pad_sequence(sequences);
            var actual = exported.Runtime.Run(("input", padded), ("lengths", torch.tensor(lengths)))["output"];
            Close.Assert(actual, model.call(nn.utils.rnn.pack_sequence(sequences, enforce_sorted: false)), $"lengths [{string.Join(", ", lengths)}]");
        }
    }

    [Test]
    public void OnnxGraph_StreamingOneStepAtATimeWithTheStateFedBack_MatchesTheWholeSequence()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(8);
        var lstm = nn.LSTM(2, 5, 2);
        var head = torch.nn.Linear(5, 1);
        lstm.eval();
        head.eval();
        using var graph = new OnnxGraph();
        var x = graph.input("x", torch.randn(1, 3, 2), "steps", "batch", null);
        var h0 = graph.optional_input("h0", torch.zeros(2, 1, 5));
        var c0 = graph.optional_input("c0", torch.zeros(2, 1, 5));
        var (output, (h_n, c_n)) = lstm.call(x, (h0, c0));
        graph.output("y", head.call(output));
        graph.output("h_n", h_n);
        graph.output("c_n", c_n);
        using var exported = Exported.Of(graph);

        var sequence = torch.randn(9, 3, 2);
        var steps = new List<Tensor>();
        Tensor? h = null, c = null;
        for (var t = 0; t < 9; t++)
        {
            var feeds = new List<(string, Tensor)> { ("x", sequence[t..(t + 1)]) };
            if (h is not null) feeds.AddRange([("h0", h), ("c0", c!)]);
            var result = exported.Runtime.Run([.. feeds]);
            steps.Add(result["y"]);
            (h, c) = (result["h_n"], result["c_n"]);
        }
        using var noGrad = torch.no_grad();
        var (all, (hn, cn)) = lstm.call(sequence);
        Close.Assert(torch.cat(steps, 0), head.call(all), "y");
        Close.Assert(h!, hn, "h_n");
        Close.Assert(c!, cn, "c_n");
    }

    [Test]
    public void OnnxTensor_Operations_MatchTorchSharp()
    {
        using var scope = torch.NewDisposeScope();
        using var graph = new OnnxGraph();
        var a = graph.input("a", torch.randn(2, 3, 4), "n", "l", null);
        var b = graph.input("b", torch.randn(2, 3, 4), "n", "l", null);
        var results = new Dictionary<string, (OnnxTensor Value, Func<Tensor, Tensor, Tensor> Expected)>
        {
            ["index_last"] = (a[.., -1], (x, _) => x[.., -1]),
            ["index_hat"] = (a[^1], (x, _) => x[-1]),
            ["slice"] = (a[.., 1..], (x, _) => x[.., 1..]),
            ["slice_end"] = (a[.., ..^1, 2], (x, _) => x[.., ..^1, 2]),
            ["ellipsis"] = (a[OnnxIndex.Ellipsis, 0], (x, _) => x[TensorIndex.Ellipsis, 0]),
            ["select"] = (a.select(1, 0), (x, _) => x.select(1, 0)),
            ["transpose"] = (a.transpose(0, 1), (x, _) => x.transpose(0, 1)),
            ["unsqueeze_squeeze"] = (a.unsqueeze(1).squeeze(1).relu(), (x, _) => x.relu()),
            ["activations"] = ((a.tanh() + b.sigmoid()) * a, (x, y) => (x.tanh() + y.sigmoid()) * x),
            ["softmax"] = (a.softmax(-1), (x, _) => x.softmax(-1)),
            ["log_softmax"] = (b.log_softmax(1), (_, y) => torch.nn.functional.log_softmax(y, 1)),
            ["cat"] = (OnnxTensor.cat([a, b], -1), (x, y) => torch.cat([x, y], -1)),
        };
        foreach (var (name, (value, _)) in results) graph.output(name, value);
        using var exported = Exported.Of(graph);
        var (x, y) = (torch.randn(3, 5, 4), torch.randn(3, 5, 4));
        var actual = exported.Runtime.Run(("a", x), ("b", y));
        foreach (var (name, (_, expected)) in results) Close.Assert(actual[name], expected(x, y), name);
    }

    /// <summary>FromPyTorch's SineModel: GRU(1, 8, batch_first), then Linear(8, 1) on every step.</summary>
    private sealed class SineModel : torch.nn.Module<Tensor, Tensor>
    {
        public readonly GRU rnn = nn.GRU(1, 8, batch_first: true);
        public readonly TorchModules.Linear head = torch.nn.Linear(8, 1);

        public SineModel() : base(nameof(SineModel)) => RegisterComponents();

        public override Tensor forward(Tensor x) => head.call(rnn.call(x).output);
    }

    /// <summary>Tokens (N, L) -> embedding -> 2-layer LSTM -> last step -> Linear: logits (N, 3).</summary>
    private sealed class Classifier : torch.nn.Module<Tensor, Tensor>
    {
        private readonly TorchModules.Embedding embedding = torch.nn.Embedding(10, 4);
        private readonly LSTM lstm = nn.LSTM(4, 6, 2, batch_first: true, dropout: 0.2);
        private readonly TorchModules.Linear head = torch.nn.Linear(6, 3);

        public Classifier() : base(nameof(Classifier)) => RegisterComponents();

        public override Tensor forward(Tensor tokens)
        {
            var (output, _) = lstm.call(embedding.call(tokens));
            return head.call(output[.., -1]);
        }

        // The same lines on OnnxTensor.
        public OnnxTensor Forward(OnnxTensor tokens)
        {
            var (output, _) = lstm.call(embedding.call(tokens));
            return head.call(output[.., -1]);
        }
    }

    /// <summary>VariableLength's classifier: a packed GRU, then Linear on the last layer's h_n.</summary>
    private sealed class PackedClassifier : torch.nn.Module<PackedSequence, Tensor>
    {
        private readonly GRU gru = nn.GRU(2, 6, 2, bidirectional: true);
        private readonly TorchModules.Linear head = torch.nn.Linear(6, 2);

        public PackedClassifier() : base(nameof(PackedClassifier)) => RegisterComponents();

        public override Tensor forward(PackedSequence batch)
        {
            var (_, h_n) = gru.call(batch);
            return head.call(h_n[-1]);
        }

        public OnnxTensor Forward(OnnxPackedSequence batch)
        {
            var (_, h_n) = gru.call(batch);
            return head.call(h_n[-1]);
        }
    }
}

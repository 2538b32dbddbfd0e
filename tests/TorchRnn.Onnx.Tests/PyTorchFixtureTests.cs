using System;
using System.IO;
using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchRnn.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests;

/// <summary>
/// The other way round: models exported by PyTorch 1.13's own <c>torch.onnx.export</c>
/// (<c>fixtures/export_pytorch.py</c>) and the same weights, loaded into TorchRnn and exported by TorchRnn.Onnx,
/// give the same outputs in ONNX Runtime.
/// </summary>
[TestFixture]
public class PyTorchFixtureTests
{
    private static readonly (long Length, long Batch)[] Sizes = [(1, 1), (5, 2), (9, 4)];

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    [Test]
    public void GruHead_TorchRnnExport_MatchesPyTorchsExportInOnnxRuntime()
    {
        using var scope = torch.NewDisposeScope();
        var model = new GruHead();
        Checkpoint.load(model, Fixture("gru_head.pt"));
        model.eval();
        using var ours = Exported.From(path => onnx.export(model, torch.randn(2, 5, 3), path, forward: x => model.head.call(model.rnn.call(x).output)));
        using var pytorch = new Runtime(Fixture("gru_head.onnx"));
        foreach (var (length, batch) in Sizes)
        {
            var x = torch.randn(batch, length, 3);
            var theirs = pytorch.Run(("x", x))["y"];
            Close.Assert(ours.Runtime.Run(("input", x))["output"], theirs, $"L={length}, N={batch}");
            using var noGrad = torch.no_grad();
            Close.Assert(model.call(x), theirs, $"TorchRnn itself, L={length}, N={batch}");
        }
    }

    [Test]
    public void LstmStates_TorchRnnExport_MatchesPyTorchsExportInOnnxRuntime()
    {
        using var scope = torch.NewDisposeScope();
        var model = new Holder<LSTM>(nn.LSTM(4, 6, 2));
        Checkpoint.load(model, Fixture("lstm_states.pt"));
        model.eval();
        using var graph = new OnnxGraph();
        var x = graph.input("x", torch.randn(5, 2, 4), "sequence", "batch", null);
        var h0 = graph.input("h0", torch.randn(2, 2, 6), null, "batch", null);
        var c0 = graph.input("c0", torch.randn(2, 2, 6), null, "batch", null);
        var (output, (h_n, c_n)) = model.rnn.call(x, (h0, c0));
        graph.output("output", output);
        graph.output("h_n", h_n);
        graph.output("c_n", c_n);
        using var ours = Exported.Of(graph);
        using var pytorch = new Runtime(Fixture("lstm_states.onnx"));
        foreach (var (length, batch) in Sizes)
        {
            (string, Tensor)[] feeds = [("x", torch.randn(length, batch, 4)), ("h0", torch.randn(2, batch, 6)), ("c0", torch.randn(2, batch, 6))];
            var theirs = pytorch.Run(feeds);
            var mine = ours.Runtime.Run(feeds);
            foreach (var name in new[] { "output", "h_n", "c_n" })
                Close.Assert(mine[name], theirs[name], $"{name}, L={length}, N={batch}");
        }
    }

    [Test]
    public void RnnRelu_TorchRnnExport_MatchesPyTorchsExportInOnnxRuntime()
    {
        using var scope = torch.NewDisposeScope();
        var model = new Holder<RNN>(nn.RNN(3, 5, nonlinearity: "relu", bias: false));
        Checkpoint.load(model, Fixture("rnn_relu.pt"));
        using var ours = Exported.Of(model.rnn, torch.randn(5, 2, 3));
        using var pytorch = new Runtime(Fixture("rnn_relu.onnx"));
        foreach (var (length, batch) in Sizes)
        {
            var x = torch.randn(length, batch, 3);
            Close.Assert(ours.Runtime.Run(("input", x))["output"], pytorch.Run(("x", x))["y"], $"L={length}, N={batch}");
        }
    }

    /// <summary>export_pytorch.py's GruHead: GRU(3, 8, 2, batch_first, bidirectional), then Linear(16, 2).</summary>
    private sealed class GruHead : torch.nn.Module<Tensor, Tensor>
    {
        public readonly GRU rnn = nn.GRU(3, 8, 2, batch_first: true, bidirectional: true);
        public readonly TorchSharp.Modules.Linear head = torch.nn.Linear(16, 2);

        public GruHead() : base(nameof(GruHead)) => RegisterComponents();

        public override Tensor forward(Tensor x) => head.call(rnn.call(x).output);
    }

    /// <summary>A module whose one field is <c>rnn</c>, for state_dict keys <c>rnn.*</c>.</summary>
    private sealed class Holder<T> : torch.nn.Module where T : torch.nn.Module
    {
        public readonly T rnn;

        public Holder(T rnn) : base("Holder")
        {
            this.rnn = rnn;
            RegisterComponents();
        }
    }
}

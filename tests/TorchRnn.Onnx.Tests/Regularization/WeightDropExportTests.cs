using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;

namespace TorchRnn.Onnx.Tests.Regularization;

/// <summary>
/// A WeightDrop-wrapped module exports as the plain module with its raw weights (eval draws no mask), even when its
/// last forward trained and left dropped weights in the kernels.
/// </summary>
public class WeightDropExportTests
{
    [TestCase(false, false)]
    [TestCase(true, true)]
    public void Export_AfterTrainingStep_MatchesPlainModuleInOnnxRuntime(bool bidirectional, bool batchFirst)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        var wd = nn.WeightDrop(nn.LSTM(3, 5, 2, batch_first: batchFirst, bidirectional: bidirectional), ["weight_hh_l0", "weight_hh_l1"], 0.5);
        var x = torch.randn(batchFirst ? new long[] { 2, 6, 3 } : [6, 2, 3]);
        wd.train();
        wd.call(x).output.sum().backward(); // the kernels now hold dropped weights

        using var exported = Exported.Of(wd, x);
        Assert.That(wd.training, Is.True, "export leaves the training mode as it was");

        // The reference: a plain LSTM with the raw weights, which owes nothing to WeightDrop.
        var plain = nn.LSTM(3, 5, 2, batch_first: batchFirst, bidirectional: bidirectional);
        using (torch.no_grad())
        {
            foreach (var (name, p) in plain.named_parameters())
                p.copy_(wd.module.get_parameter(name) ?? wd.module.get_parameter(name + "_raw")!);
        }
        plain.eval();
        var rows = 2 * (bidirectional ? 2 : 1);
        var other = torch.randn(batchFirst ? new long[] { 4, 9, 3 } : [9, 4, 3]);
        var h0 = torch.randn(rows, 4, 5);
        var c0 = torch.randn(rows, 4, 5);
        var ort = exported.Runtime.Run([("input", other), ("h0", h0), ("c0", c0)]);
        using var noGrad = torch.no_grad();
        var (output, (h_n, c_n)) = plain.call(other, (h0, c0));
        Close.Assert(ort["output"], output, "output");
        Close.Assert(ort["h_n"], h_n, "h_n");
        Close.Assert(ort["c_n"], c_n, "c_n");
    }

    [Test]
    public void Export_OnnxTensorCallInTraining_Throws()
    {
        using var scope = torch.NewDisposeScope();
        var wd = nn.WeightDrop(nn.GRU(3, 4), ["weight_hh_l0"], 0.5);
        wd.train();
        var graph = new OnnxGraph("g");
        var input = graph.input("input", torch.randn(5, 2, 3));
        Assert.That(() => wd.call(input), Throws.TypeOf<OnnxExportException>().With.Message.Contains("eval()"));
    }
}

/// <summary>
/// The word language model's AWD-LSTM (embedded dropout, locked dropout, three WeightDrop LSTMs of awd's sizes, a tied
/// decoder) after a training step: in eval its dropouts vanish, and the exported graph is the plain model's.
/// </summary>
public class AwdModelExportTests
{
    [Test]
    public void LockedDropoutOnOnnxTensor_InTraining_ThrowsAndInEvalIsTheInput()
    {
        using var scope = torch.NewDisposeScope();
        using var graph = new OnnxGraph();
        var x = graph.input("x", torch.randn(5, 2, 3));
        var lockdrop = nn.LockedDropout();
        lockdrop.train();
        Assert.That(() => lockdrop.call(x, 0.5), Throws.TypeOf<OnnxExportException>().With.Message.Contains("eval()"));
        lockdrop.eval();
        Assert.That(lockdrop.call(x, 0.5), Is.SameAs(x));
        Assert.That(() => lockdrop.call(x, 1.5), Throws.ArgumentException.With.Message.StartsWith("dropout probability has to be between 0 and 1, but got 1.5"));
    }

    [Test]
    public void Export_TrainedAwdModel_MatchesTorchRnnInOnnxRuntime()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(8);
        var model = new TorchRnn.Samples.LanguageModel.AWDModel(50, 8, 12, 3, dropout: 0.4, dropouth: 0.3, dropouti: 0.65, dropoute: 0.1, wdrop: 0.5, tieWeights: true);
        var tokens = torch.randint(0, 50, [7, 3]);
        model.train();
        var trained = model.call(tokens[..^1], model.init_hidden(3));
        var loss = torch.nn.functional.nll_loss(trained.output, tokens[1..].reshape(-1));
        loss.backward();
        using (torch.no_grad())
        {
            foreach (var p in model.parameters()) p.add_(p.grad!, alpha: -1.0);
        }
        model.eval();
        var lockdrop = nn.LockedDropout();
        lockdrop.eval();

        // The model's forward on OnnxTensor: its own C# forward cannot be read, as for any model class.
        using var graph = new OnnxGraph(model);
        var x = graph.input("input", tokens, "sequence", "batch");
        var h = lockdrop.call(model.Encoder.call(x), model.dropouti);
        foreach (var rnn in model.Rnns)
            h = rnn is TorchRnn.Regularization.WeightDrop dropped ? dropped.call(h).output : ((RNNBase)rnn).call(h).output;
        graph.output("output", model.Decoder.call(lockdrop.call(h, model.dropout)).log_softmax(2));
        using var exported = Exported.Of(graph);
        foreach (var length in new[] { 5, 11 })
        {
            var words = torch.randint(0, 50, [length, 4]);
            using var noGrad = torch.no_grad();
            var expected = model.call(words, model.init_hidden(4)).output.reshape(length, 4, 50);
            Close.Assert(exported.Runtime.Run(("input", words))["output"], expected, $"L={length}");
        }
    }
}

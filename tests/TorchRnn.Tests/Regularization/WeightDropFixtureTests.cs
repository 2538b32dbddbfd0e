using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Regularization;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Regularization;

/// <summary>
/// <see cref="WeightDrop"/> against awd-lstm-lm's own WeightDrop over nn.LSTM (tests/fixtures/awd_lstm.py,
/// generate_awd.py, section weight_drop of awd.json): parameter names and order, the dropped weights, outputs, final
/// states, every gradient and the generator's position after the forward. Each case also builds, on this machine, a
/// plain LSTM from masks drawn in awd's order and checks WeightDrop against it, which holds on every CPU; the
/// fixture's masked numbers are asserted where this LibTorch draws the fixture's masks (<see cref="DrawPath"/>).
/// </summary>
public class WeightDropFixtureTests
{
    private const double Tolerance = 2e-5;

    private static readonly JsonElement[] Cases = JsonFixture.Cases("awd.json", "weight_drop");

    private static IEnumerable<TestCaseData> All()
        => Cases.Select((c, i) => new TestCaseData(i).SetName($"Forward_{c.GetProperty("name").GetString()}_MatchesAwdLstm"));

    [TestCaseSource(nameof(All))]
    public void Forward_Case_MatchesAwdLstm(int index)
    {
        using var scope = torch.NewDisposeScope();
        var c = Cases[index];
        var (lstm, wd) = Build(c);
        var weights = c.GetProperty("weights").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var p = c.GetProperty("wdrop").GetDouble();
        var train = c.GetProperty("train").GetBoolean();
        var variational = c.GetProperty("variational").GetBoolean();

        // awd's order: every parameter but the dropped ones, then each dropped one's _raw.
        var expectedNames = c.GetProperty("grads").EnumerateObject().Select(g => "module." + g.Name + (weights.Contains(g.Name) ? "_raw" : ""));
        Assert.That(wd.named_parameters().Select(np => np.name), Is.EqualTo(expectedNames));

        var x = Tensor(c.GetProperty("input")).requires_grad_();
        var hx = c.GetProperty("hx").EnumerateArray().Select(e => Tensor(e).requires_grad_()).ToArray();
        var w = c.GetProperty("loss_weights").EnumerateArray().Select(Tensor).ToArray();
        var state = hx.Length == 0 ? (HiddenState?)null : new HiddenState(hx[0], hx[1]);
        wd.train(train);

        torch.manual_seed(c.GetProperty("forward_seed").GetInt64());
        var (output, (h_n, c_n)) = wd.call(x, state);
        var next = torch.randn(3);
        var dropped = weights.ToDictionary(n => n, n => lstm.KernelParameter(n)!.detach().clone());
        ((output * w[0]).sum() + (h_n * w[1]).sum() + (c_n! * w[2]).sum()).backward();
        // awd's fixture made its second call before the backward; WeightDrop writes the dropped weight in place, so a
        // graph must be backpropagated before the next forward (its remarks). Backward draws nothing: the generator is
        // where the fixture's second call found it.
        Tensor? second = null;
        if (c.GetProperty("second_output").ValueKind != JsonValueKind.Null)
        {
            using var noGrad = torch.no_grad();
            second = wd.call(x, state).output;
        }

        // On every CPU: the same as a plain LSTM whose weights were dropped by masks drawn in awd's order.
        var reference = Reference(c, lstm, weights, p, train, variational, x, state, w);
        foreach (var name in weights)
            Assert.That(Expect.Values(dropped[name]), Is.EqualTo(Expect.Values(reference.Dropped[name])).Within(1e-6), $"dropped {name}");
        Expect.Close(Expect.Values(output), Expect.Values(reference.Output), Tolerance, "output against the reference");
        Expect.Close(Expect.Values(next), Expect.Values(reference.Next), 0, "the generator after the forward, against the reference");
        foreach (var (name, grad) in reference.Grads)
            Expect.Close(Expect.Values(Grad(wd, name, weights)), Expect.Values(grad), Tolerance, $"grad {name} against the reference");
        if (second is not null && train && p > 0)
            Assert.That(Expect.Values(second), Is.Not.EqualTo(Expect.Values(output)), "a new mask per forward");

        // Against awd-lstm-lm's numbers, where the masks are the fixture's (eval draws none).
        if (!train || DrawPath.MatchesFixtures)
        {
            foreach (var name in weights)
                Expect.Close(Expect.Values(dropped[name]), Doubles(c.GetProperty("dropped_weights").GetProperty(name)), 1e-6, $"dropped {name}");
            Expect.Close(output, Recorded(c.GetProperty("output")), Tolerance, "output");
            Expect.Close(h_n, Recorded(c.GetProperty("h_n")), Tolerance, "h_n");
            Expect.Close(c_n!, Recorded(c.GetProperty("c_n")), Tolerance, "c_n");
            Expect.Close(Expect.Values(next), Doubles(c.GetProperty("next_randn")), 0, "the generator's position after the forward");
            if (second is not null) Expect.Close(second, Recorded(c.GetProperty("second_output")), Tolerance, "second output");
            foreach (var g in c.GetProperty("grads").EnumerateObject())
                Expect.Close(Expect.Values(Grad(wd, g.Name, weights)), Doubles(g.Value), Tolerance, $"grad {g.Name}");
            Expect.Close(Expect.Values(x.grad!), Doubles(c.GetProperty("input_grad")), Tolerance, "input grad");
            var hxGrads = c.GetProperty("hx_grad").EnumerateArray().ToArray();
            for (var i = 0; i < hx.Length; i++) Expect.Close(Expect.Values(hx[i].grad!), Doubles(hxGrads[i]), Tolerance, $"hx[{i}] grad");
        }
    }

    [Test]
    public void StateDict_TwoLayers_NamesRawWeightsAsAwd()
    {
        using var scope = torch.NewDisposeScope();
        var wd = nn.WeightDrop(nn.LSTM(4, 4, 2), ["weight_hh_l0", "weight_hh_l1"], 0.5);
        Assert.That(wd.state_dict().Keys, Is.EqualTo(new[]
        {
            "module.weight_ih_l0", "module.bias_ih_l0", "module.bias_hh_l0", "module.weight_ih_l1", "module.bias_ih_l1",
            "module.bias_hh_l1", "module.weight_hh_l0_raw", "module.weight_hh_l1_raw",
        }));
    }

    [Test]
    public void Repr_Lstm_ShowsOptionsAndModule()
    {
        using var scope = torch.NewDisposeScope();
        var wd = nn.WeightDrop(nn.LSTM(4, 5, 2), ["weight_hh_l0"], 0.25, variational: true);
        Assert.That(wd.ToString(), Is.EqualTo("WeightDrop(\n  weights=['weight_hh_l0'], dropout=0.25, variational=True\n  (module): LSTM(4, 5, num_layers=2)\n)"));
    }

    [Test]
    public void Forward_Eval_IsThePlainModule()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var plain = nn.GRU(3, 5, 2);
        torch.manual_seed(7);
        var wd = nn.WeightDrop(nn.GRU(3, 5, 2), ["weight_hh_l0", "weight_hh_l1"], 0.5);
        wd.train();
        var x = torch.randn(6, 2, 3);
        wd.call(x);
        wd.eval();
        plain.eval();
        var before = torch.randn(1);
        torch.manual_seed(11);
        var (ours, _) = wd.call(x);
        var next = torch.randn(3);
        torch.manual_seed(11);
        var (theirs, _) = plain.call(x);
        Assert.That(Expect.Values(ours), Is.EqualTo(Expect.Values(theirs)).Within(1e-6));
        Assert.That(Expect.Values(next), Is.EqualTo(Expect.Values(torch.randn(3))), "eval draws nothing");
        _ = before;
    }

    [Test]
    public void Train_SgdSteps_UpdateRawWeightsOnly()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var wd = nn.WeightDrop(nn.LSTM(3, 4), ["weight_hh_l0"], 0.3);
        var raw = wd.module.get_parameter("weight_hh_l0_raw")!;
        var start = raw.detach().clone();
        var sgd = torch.optim.SGD(wd.parameters(), 0.1);
        for (var i = 0; i < 3; i++)
        {
            using var step = torch.NewDisposeScope();
            sgd.zero_grad();
            wd.call(torch.randn(5, 2, 3)).output.pow(2).sum().backward();
            sgd.step();
        }
        Assert.That(raw.grad, Is.Not.Null);
        Assert.That(Expect.Values(raw), Is.Not.EqualTo(Expect.Values(start)), "the optimiser trains the raw weight");
        Assert.That(wd.module.get_parameter("weight_hh_l0"), Is.Null, "the dropped weight is not a parameter");
    }

    [Test]
    public void To_Float64_MovesRawAndKernelWeights()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var wd = nn.WeightDrop(nn.LSTM(3, 4), ["weight_hh_l0"], 0.3);
        wd.call(torch.randn(5, 2, 3)).output.sum().backward();
        wd.to(ScalarType.Float64);
        Assert.That(wd.module.get_parameter("weight_hh_l0_raw")!.dtype, Is.EqualTo(ScalarType.Float64));
        var (output, _) = wd.call(torch.randn(5, 2, 3, dtype: ScalarType.Float64));
        output.sum().backward();
        Assert.That(output.dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(wd.module.get_parameter("weight_hh_l0_raw")!.grad, Is.Not.Null);
    }

    [TestCase(-0.1, "dropout probability has to be between 0 and 1, but got -0.1")]
    [TestCase(1.5, "dropout probability has to be between 0 and 1, but got 1.5")]
    public void Create_BadDropout_ThrowsPyTorchMessage(double dropout, string message)
    {
        using var lstm = nn.LSTM(3, 4);
        Assert.That(() => nn.WeightDrop(lstm, ["weight_hh_l0"], dropout),
            Throws.ArgumentException.With.Message.StartsWith(message));
    }

    [Test]
    public void Create_UnknownWeight_ThrowsAttributeErrorWording()
    {
        using var lstm = nn.LSTM(3, 4);
        Assert.That(() => nn.WeightDrop(lstm, ["weight_hh_l1"], 0.5),
            Throws.ArgumentException.With.Message.StartsWith("'LSTM' object has no attribute 'weight_hh_l1'"));
    }

    [Test]
    public void Create_WeightDroppedTwice_Throws()
    {
        using var lstm = nn.LSTM(3, 4);
        nn.WeightDrop(lstm, ["weight_hh_l0"], 0.5);
        Assert.That(() => nn.WeightDrop(lstm, ["weight_hh_l0"], 0.5), Throws.ArgumentException.With.Message.Contains("dropped already"));
    }

    [Test]
    public void Forward_ManyCallsInScopes_DoNotLeak()
    {
        torch.manual_seed(1);
        using var wd = nn.WeightDrop(nn.LSTM(32, 64, 2), ["weight_hh_l0", "weight_hh_l1"], 0.5);
        var x = torch.randn(20, 8, 32);
        void Run(int n)
        {
            for (var i = 0; i < n; i++)
            {
                using var s = torch.NewDisposeScope();
                wd.call(x).output.sum().backward();
            }
        }
        Run(50);
        var before = ResidentMemory.Bytes();
        Run(300);
        var grown = ResidentMemory.Bytes() - before;
        Assert.That(grown, Is.LessThan(16L << 20), $"resident memory grew by {grown / (1 << 20)} MiB over 300 forwards");
    }

    private static (LSTM lstm, WeightDrop wd) Build(JsonElement c)
    {
        torch.manual_seed(c.GetProperty("seed").GetInt64());
        var lstm = nn.LSTM(c.GetProperty("input_size").GetInt64(), c.GetProperty("hidden_size").GetInt64(), c.GetProperty("num_layers").GetInt64(),
            c.GetProperty("bias").GetBoolean(), c.GetProperty("batch_first").GetBoolean(), c.GetProperty("dropout").GetDouble(),
            c.GetProperty("bidirectional").GetBoolean());
        foreach (var s in c.GetProperty("param_sums").EnumerateObject())
            Assert.That(lstm.get_parameter(s.Name)!.to(ScalarType.Float64).sum().item<double>(), Is.EqualTo(s.Value.GetDouble()).Within(1e-9), $"initial {s.Name}");
        var weights = c.GetProperty("weights").EnumerateArray().Select(e => e.GetString()!);
        return (lstm, nn.WeightDrop(lstm, weights, c.GetProperty("wdrop").GetDouble(), c.GetProperty("variational").GetBoolean()));
    }

    private sealed record ReferenceRun(Dictionary<string, Tensor> Dropped, Tensor Output, Tensor Next, Dictionary<string, Tensor> Grads);

    /// <summary>
    /// awd's forward written out with this LibTorch, without WeightDrop: after the forward seed, each weight's mask in
    /// order as F.dropout draws it on the CPU (empty_like(raw).bernoulli_(1 - p) / (1 - p); variational: of a (rows, 1)
    /// tensor), then a plain LSTM whose weights are the dropped values; a raw weight's gradient is then the dropped
    /// weight's times the mask.
    /// </summary>
    private static ReferenceRun Reference(JsonElement c, LSTM ours, string[] weights, double p, bool train, bool variational,
        Tensor x, HiddenState? state, Tensor[] w)
    {
        var plain = nn.LSTM(ours.input_size, ours.hidden_size, ours.num_layers, ours.bias, ours.batch_first, ours.dropout, ours.bidirectional);
        torch.manual_seed(c.GetProperty("forward_seed").GetInt64());
        var masks = new Dictionary<string, Tensor?>();
        foreach (var name in weights)
        {
            var raw = ours.get_parameter(name + "_raw")!;
            masks[name] = !train || p == 0 ? null
                : (variational ? torch.empty(raw.shape[0], 1) : torch.empty_like(raw)).bernoulli_(1 - p).div_(1 - p);
        }
        var dropped = new Dictionary<string, Tensor>();
        using (torch.no_grad())
        {
            foreach (var (name, param) in plain.named_parameters())
            {
                if (!weights.Contains(name))
                {
                    param.copy_(ours.get_parameter(name)!);
                    continue;
                }
                var raw = ours.get_parameter(name + "_raw")!.detach();
                dropped[name] = masks[name] is { } mask ? raw * mask : raw.clone();
                param.copy_(dropped[name]);
            }
        }
        plain.train(train);
        var hx = state is { } s ? new HiddenState(s.h.detach(), s.c!.detach()) : (HiddenState?)null;
        var (output, (h_n, c_n)) = plain.call(x.detach(), hx);
        var next = torch.randn(3);
        ((output * w[0]).sum() + (h_n * w[1]).sum() + (c_n! * w[2]).sum()).backward();
        var grads = plain.named_parameters().ToDictionary(np => np.name, np => np.parameter.grad!);
        foreach (var name in weights)
        {
            if (masks[name] is { } mask) grads[name] = grads[name] * mask; // (rows, 1) broadcasts over a variational mask's columns
        }
        return new ReferenceRun(dropped, output.detach(), next, grads);
    }

    private static Tensor Grad(WeightDrop wd, string name, string[] weights)
        => wd.module.get_parameter(weights.Contains(name) ? name + "_raw" : name)!.grad!;

    private static Tensor Tensor(JsonElement e) => Recorded(e).ToTensor(ScalarType.Float32, torch.CPU);

    private static RecordedTensor Recorded(JsonElement e) => RecordedTensor.From(e)!;

    private static double[] Doubles(JsonElement e) => RecordedTensor.Doubles(e);
}

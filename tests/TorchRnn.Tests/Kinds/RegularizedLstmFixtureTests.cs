using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Kinds;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Tests.Kinds;

/// <summary>
/// nn.RegularizedLSTM against its PyTorch 1.13 twin (tests/fixtures/zoneout_lstm.py, generate_awd.py's
/// <c>regularized_lstm</c> section of awd.json): the same weights for the same seed, outputs, final states, every
/// gradient and the generator's position after the forward. Masks depend on the CPU's Bernoulli path
/// (<see cref="DrawPath"/>), so every case is also checked against the twin's forward written here with TorchSharp's
/// plain operations and the masks drawn in the twin's documented order: that holds on any CPU, since both sides draw
/// from this LibTorch. Eval cases draw nothing and are always compared with the fixture.
/// </summary>
public class RegularizedLstmFixtureTests
{
    private static readonly JsonElement[] Cases = JsonFixture.Cases("awd.json", "regularized_lstm");

    private static IEnumerable<TestCaseData> All()
        => Cases.Select((c, i) => new TestCaseData(i).SetName($"Forward_{c.GetProperty("name").GetString()}_MatchesTwin"));

    [TestCaseSource(nameof(All))]
    public void Forward_Case_MatchesTwin(int index)
    {
        using var scope = torch.NewDisposeScope();
        var c = Cases[index];
        var train = c.GetProperty("train").GetBoolean();
        var forwardSeed = c.GetProperty("forward_seed").GetInt64();
        torch.manual_seed(c.GetProperty("seed").GetInt64());
        var m = nn.RegularizedLSTM(c.GetProperty("input_size").GetInt64(), c.GetProperty("hidden_size").GetInt64(), c.GetProperty("num_layers").GetInt64(),
            c.GetProperty("bias").GetBoolean(), c.GetProperty("batch_first").GetBoolean(), c.GetProperty("dropout").GetDouble(),
            c.GetProperty("bidirectional").GetBoolean(), c.GetProperty("recurrent_dropout").GetDouble(), c.GetProperty("zoneout").GetDouble());
        var parameters = m.named_parameters().ToList();
        var sums = c.GetProperty("param_sums").EnumerateObject().ToList();
        Assert.That(parameters.Select(p => p.name), Is.EqualTo(sums.Select(p => p.Name)), "nn.LSTM's names and order");
        foreach (var (name, p) in parameters)
            Assert.That(p.detach().to(ScalarType.Float64).sum().item<double>(), Is.EqualTo(c.GetProperty("param_sums").GetProperty(name).GetDouble()).Within(1e-12), $"initial {name}");

        var x = Tensor(c.GetProperty("input")).requires_grad_();
        var hx = c.GetProperty("hx").EnumerateArray().Select(e => Tensor(e).requires_grad_()).ToArray();
        var w = c.GetProperty("loss_weights").EnumerateArray().Select(Tensor).ToArray();
        m.train(train);

        torch.manual_seed(forwardSeed);
        var (output, (h_n, c_n)) = m.call(x, hx.Length == 0 ? null : new HiddenState?(new HiddenState(hx[0], hx[1])));
        var next = Flat(torch.randn(3));
        Tensor? second = null;
        if (c.GetProperty("second_output").ValueKind != JsonValueKind.Null)
        {
            using var noGrad = torch.no_grad();
            second = m.call(x, hx.Length == 0 ? null : new HiddenState?(new HiddenState(hx[0], hx[1]))).output;
        }
        ((output * w[0]).sum() + (h_n! * w[1]).sum() + (c_n! * w[2]).sum()).backward();
        var grads = parameters.ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        var inputGrad = x.grad!.clone();
        var hxGrads = hx.Select(h => h.grad!.clone()).ToArray();

        // The twin written here, on the same weights, masks drawn after the same seed.
        m.zero_grad();
        x.grad!.zero_();
        foreach (var h in hx) h.grad!.zero_();
        torch.manual_seed(forwardSeed);
        var (twinOutput, twinH, twinC) = Twin(m, x, hx, train);
        var twinNext = Flat(torch.randn(3));
        ((twinOutput * w[0]).sum() + (twinH * w[1]).sum() + (twinC * w[2]).sum()).backward();
        Close(output, twinOutput, "output vs the twin here");
        Close(h_n!, twinH, "h_n vs the twin here");
        Close(c_n!, twinC, "c_n vs the twin here");
        Assert.That(next, Is.EqualTo(twinNext), "the generator's position vs the twin here");
        foreach (var (name, p) in parameters) Close(grads[name], p.grad!, $"grad {name} vs the twin here", 10);
        Close(inputGrad, x.grad!, "input grad vs the twin here", 10);
        for (var i = 0; i < hx.Length; i++) Close(hxGrads[i], hx[i].grad!, $"hx[{i}] grad vs the twin here", 10);

        // PyTorch's numbers: masks differ on an Intel CPU (DrawPath), so train cases are compared only where they match.
        if (train && !DrawPath.MatchesFixtures)
        {
            TestContext.Out.WriteLine($"Compared with the twin written here, not with PyTorch's numbers: {DrawPath.Why}.");
            return;
        }
        Close(output, c.GetProperty("output"), "output");
        Close(h_n!, c.GetProperty("h_n"), "h_n");
        Close(c_n!, c.GetProperty("c_n"), "c_n");
        Assert.That(next, Is.EqualTo(Values(c.GetProperty("next_randn"))).Within(0), "the generator's position after the forward");
        if (second is not null) Close(second, c.GetProperty("second_output"), "second output (new masks)");
        foreach (var (name, _) in parameters) Close(grads[name], c.GetProperty("grads").GetProperty(name), $"grad {name}", 10);
        Close(inputGrad, c.GetProperty("input_grad"), "input grad", 10);
        var expectedHxGrads = c.GetProperty("hx_grad").EnumerateArray().ToArray();
        for (var i = 0; i < hx.Length; i++) Close(hxGrads[i], expectedHxGrads[i], $"hx[{i}] grad", 10);
    }

    /// <summary>zoneout_lstm.py's forward, line by line, in TorchSharp's plain operations.</summary>
    private static (Tensor output, Tensor h_n, Tensor c_n) Twin(Recurrent m, Tensor input, Tensor[] hx, bool training)
    {
        var kind = (RegularizedLstmKind)m.Options.Kind;
        var x = m.batch_first ? input.transpose(0, 1) : input;
        var (length, batch) = (x.shape[0], x.shape[1]);
        var directions = m.bidirectional ? 2 : 1;
        var hidden = m.hidden_size;
        var zeros = x.new_zeros(m.num_layers * directions, batch, hidden);
        var (h0, c0) = hx.Length == 0 ? (zeros, zeros) : (hx[0], hx[1]);
        var layerInput = x;
        List<Tensor> hN = [], cN = [];
        for (var layer = 0; layer < m.num_layers; layer++)
        {
            var masks = new List<(Tensor? r, Tensor? z)>();
            for (var d = 0; d < directions; d++)
            {
                Tensor? r = null, z = null;
                if (training && kind.recurrent_dropout > 0)
                    r = x.new_empty(batch, hidden).bernoulli_(1 - kind.recurrent_dropout).div_(1 - kind.recurrent_dropout);
                if (training && kind.zoneout > 0) z = x.new_empty(length, batch, hidden).bernoulli_(1 - kind.zoneout);
                masks.Add((r, z));
            }
            var outputs = new List<Tensor>();
            for (var d = 0; d < directions; d++)
            {
                var suffix = $"_l{layer}{(d == 1 ? "_reverse" : "")}";
                var row = layer * directions + d;
                var (w_ih, w_hh) = (m.get_parameter("weight_ih" + suffix)!, m.get_parameter("weight_hh" + suffix)!);
                var (b_ih, b_hh) = (m.get_parameter("bias_ih" + suffix), m.get_parameter("bias_hh" + suffix));
                var xGates = F.linear(layerInput, w_ih, b_ih);
                var steps = new Tensor[length];
                Tensor h = h0[row], cell = c0[row];
                var p = kind.zoneout;
                for (var i = 0L; i < length; i++)
                {
                    var t = d == 1 ? length - 1 - i : i;
                    var gates = xGates[t] + F.linear(masks[d].r is { } r ? h * r : h, w_hh, b_hh);
                    var chunks = gates.chunk(4, 1);
                    cell = torch.sigmoid(chunks[1]) * cell + torch.sigmoid(chunks[0]) * torch.tanh(chunks[2]);
                    var fresh = torch.sigmoid(chunks[3]) * torch.tanh(cell);
                    h = p > 0 ? masks[d].z is { } z ? (fresh - h) * z[t] + h : p * h + (1 - p) * fresh : fresh;
                    steps[t] = h;
                }
                outputs.Add(torch.stack(steps));
                hN.Add(h);
                cN.Add(cell);
            }
            layerInput = directions == 2 ? torch.cat(outputs, 2) : outputs[0];
            if (training && m.dropout > 0 && layer < m.num_layers - 1) layerInput = F.dropout(layerInput, m.dropout, true);
        }
        return (m.batch_first ? layerInput.transpose(0, 1) : layerInput, torch.stack(hN), torch.stack(cN));
    }

    [TestCase(-0.1)]
    [TestCase(1.0)]
    [TestCase(double.NaN)]
    public void Constructor_RecurrentDropoutOutOfRange_ThrowsArgumentException(double p)
    {
        var e = Assert.Throws<ArgumentException>(() => nn.RegularizedLSTM(4, 4, recurrent_dropout: p));
        Assert.That(e!.Message, Does.StartWith("recurrent_dropout must be in [0, 1), got "));
        Assert.That(e.ParamName, Is.EqualTo("recurrent_dropout"));
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void Constructor_ZoneoutOutOfRange_ThrowsArgumentException(double p)
    {
        var e = Assert.Throws<ArgumentException>(() => nn.RegularizedLSTMCell(4, 4, zoneout: p));
        Assert.That(e!.Message, Does.StartWith("zoneout must be in [0, 1], got "));
        Assert.That(e.ParamName, Is.EqualTo("zoneout"));
    }

    [Test]
    public void Constructor_ZoneoutOne_IsAllowed()
        => Assert.That(new RegularizedLstmKind(zoneout: 1).zoneout, Is.EqualTo(1.0));

    [Test]
    public void Repr_CarriesBothOptions_AsTheTwinsExtraRepr()
    {
        using var m = nn.RegularizedLSTM(4, 3, 2, batch_first: true, dropout: 0.4, bidirectional: true, recurrent_dropout: 0.25, zoneout: 0.15);
        Assert.That(m.ToString(), Is.EqualTo("RegularizedLSTM(4, 3, num_layers=2, batch_first=True, dropout=0.4, bidirectional=True, recurrent_dropout=0.25, zoneout=0.15)"));
        using var plain = nn.RegularizedLSTM(4, 4);
        Assert.That(plain.ToString(), Is.EqualTo("RegularizedLSTM(4, 4, recurrent_dropout=0.0, zoneout=0.0)"));
        using var cell = nn.RegularizedLSTMCell(3, 2, zoneout: 0.1);
        Assert.That(cell.ToString(), Is.EqualTo("RegularizedLSTMCell(3, 2, recurrent_dropout=0.0, zoneout=0.1)"));
    }

    [Test]
    public void StateDict_SameSeed_HasLstmsKeysAndValues()
    {
        torch.manual_seed(7);
        using var ours = nn.RegularizedLSTM(5, 6, 2, bidirectional: true, zoneout: 0.1);
        torch.manual_seed(7);
        using var lstm = nn.LSTM(5, 6, 2, bidirectional: true);
        var a = ours.state_dict();
        var b = lstm.state_dict();
        Assert.That(a.Keys, Is.EqualTo(b.Keys));
        foreach (var key in a.Keys) Assert.That(a[key].equal(b[key]).all().item<bool>(), Is.True, key);
    }

    [Test]
    public void Forward_EvalWithoutZoneout_IsLstm()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var ours = nn.RegularizedLSTM(4, 5, 2, bidirectional: true, recurrent_dropout: 0.5);
        torch.manual_seed(3);
        var lstm = nn.LSTM(4, 5, 2, bidirectional: true);
        ours.eval();
        lstm.eval();
        var x = torch.randn(6, 3, 4);
        var (expected, (h, c)) = lstm.call(x);
        var (output, (h_n, c_n)) = ours.call(x);
        Close(output, expected, "output");
        Close(h_n!, h, "h_n");
        Close(c_n!, c!, "c_n");
    }

    [Test]
    public void Forward_PackedZoneoutTrain_DrawsFirstBatchSizeByStepsAndMatchesEachSequenceAlone()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var m = nn.RegularizedLSTM(3, 4, zoneout: 0.5);
        m.train();
        // Lengths 4, 3, 1 (sorted): batch sizes 3, 2, 2, 1.
        var padded = torch.randn(4, 3, 3);
        var lengths = new long[] { 4, 3, 1 };
        var packed = nn.utils.rnn.pack_padded_sequence(padded, lengths, enforce_sorted: true);
        torch.manual_seed(12);
        var (packedOutput, state) = m.call(packed);
        var next = Flat(torch.randn(3));
        torch.manual_seed(12);
        var z = torch.empty(4, 3, 4).bernoulli_(0.5);
        Assert.That(next, Is.EqualTo(Flat(torch.randn(3))), "one (L, N, H) draw with N = batch_sizes[0], L = steps");

        // Each sequence alone with its rows of the same mask.
        var output = nn.utils.rnn.pad_packed_sequence(packedOutput).padded;
        var kind = (RegularizedLstmKind)m.Options.Kind;
        var w_ih = m.get_parameter("weight_ih_l0")!;
        var w_hh = m.get_parameter("weight_hh_l0")!;
        var bias = m.get_parameter("bias_ih_l0")! + m.get_parameter("bias_hh_l0")!;
        for (var n = 0; n < 3; n++)
        {
            var h = torch.zeros(1, 4);
            var c = torch.zeros(1, 4);
            for (var t = 0; t < lengths[n]; t++)
            {
                var gates = F.linear(padded[t, n].unsqueeze(0), w_ih, bias) + F.linear(h, w_hh);
                var chunks = gates.chunk(4, 1);
                c = chunks[1].sigmoid() * c + chunks[0].sigmoid() * chunks[2].tanh();
                var fresh = chunks[3].sigmoid() * c.tanh();
                h = (fresh - h) * z[t, n].unsqueeze(0) + h;
                Close(output[t, n], h[0], $"sequence {n} step {t}");
            }
            Close(state.h[0, n], h[0], $"h_n of sequence {n}");
            Close(state.c![0, n], c[0], $"c_n of sequence {n}");
        }
        Assert.That(kind.zoneout, Is.EqualTo(0.5));
    }

    [Test]
    public void Cell_ZoneoutTrain_EachElementIsTheNewValueOrThePrevious()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var cell = nn.RegularizedLSTMCell(3, 4, zoneout: 0.5);
        var x = torch.randn(6, 3);
        var state = new HiddenState(torch.randn(6, 4), torch.randn(6, 4));
        cell.eval();
        var expectation = cell.call(x, state);
        cell.train();
        var zoned = cell.call(x, state);
        // The expectation is 0.5 h + 0.5 h~, so h~ = 2 expectation - h.
        var fresh = expectation.h * 2 - state.h;
        var isNew = (zoned.h - fresh).abs() < 1e-5;
        var isOld = (zoned.h - state.h).abs() < 1e-6;
        Assert.That((isNew | isOld).all().item<bool>(), Is.True);
        Assert.That(isNew.any().item<bool>() && isOld.any().item<bool>(), Is.True, "a mask of 24 halves keeps some and takes some");
        Close(zoned.c!, expectation.c!, "c is never zoned out");
    }

    private static Tensor Tensor(JsonElement e) => RecordedTensor.From(e)!.ToTensor(ScalarType.Float32, torch.CPU);

    private static double[] Values(JsonElement e)
        => e.ValueKind == JsonValueKind.Array ? RecordedTensor.Doubles(e) : RecordedTensor.Doubles(e.GetProperty("values"));

    private static double[] Flat(Tensor t) => t.detach().to(ScalarType.Float64).reshape(-1).data<double>().ToArray();

    private static void Close(Tensor actual, JsonElement expected, string what, double scale = 1)
    {
        if (expected.ValueKind == JsonValueKind.Object)
            Assert.That(actual.shape, Is.EqualTo(expected.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray()), what + " shape");
        Close(Flat(actual), Values(expected), what, scale);
    }

    private static void Close(Tensor actual, Tensor expected, string what, double scale = 1)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), what + " shape");
        Close(Flat(actual), Flat(expected), what, scale);
    }

    /// <summary>Float32 agreement: 1e-5 absolute plus 1e-4 relative (ten times that for gradients).</summary>
    private static void Close(double[] a, double[] e, string what, double scale)
    {
        Assert.That(a.Length, Is.EqualTo(e.Length), what);
        for (var i = 0; i < a.Length; i++)
        {
            if (Math.Abs(a[i] - e[i]) > scale * (1e-5 + 1e-4 * Math.Abs(e[i])))
                Assert.Fail($"{what}[{i}]: {a[i]:R} vs {e[i]:R}");
        }
    }
}

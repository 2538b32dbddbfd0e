using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Engines;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Kinds;

/// <summary>
/// LayerNormLSTM, LayerNormGRU and PeepholeLSTM (and their cells) against their PyTorch 1.13 twins
/// (tests/fixtures/custom_cells.py, generate_custom_cells.py; the twins' scripted and eager forms agree there): the
/// same initial weights for the same seed, the same repr, outputs, final states, every gradient, and the generator's
/// position after the forward (dropout draws included).
/// </summary>
public class CustomKindFixtureTests
{
    private static readonly JsonElement[] Cases = JsonFixture.Cases("custom_cells.json", "cases");

    private static IEnumerable<TestCaseData> All()
        => Cases.Select((c, i) => new TestCaseData(i).SetName($"Forward_{c.GetProperty("module").GetString()}_{c.GetProperty("name").GetString()}_MatchesPyTorchTwin"));

    [TestCaseSource(nameof(All))]
    public void Forward_Case_MatchesPyTorchTwin(int index)
    {
        using var scope = torch.NewDisposeScope();
        var c = Cases[index];
        var module = c.GetProperty("module").GetString()!;
        var dtype = c.GetProperty("dtype").GetString() == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        var isCell = c.GetProperty("steps").ValueKind != JsonValueKind.Null;
        var input = (int)c.GetProperty("input_size").GetInt64();
        var hidden = c.GetProperty("hidden_size").GetInt64();
        var bias = c.GetProperty("bias").GetBoolean();

        torch.manual_seed(c.GetProperty("seed").GetInt64());
        torch.nn.Module m = isCell
            ? CellFactory(module)(input, hidden, bias, dtype)
            : SequenceFactory(module)(input, hidden, c.GetProperty("num_layers").GetInt64(), bias, c.GetProperty("batch_first").GetBoolean(),
                c.GetProperty("dropout").GetDouble(), c.GetProperty("bidirectional").GetBoolean(), dtype);
        Assert.That(m.ToString(), Is.EqualTo(c.GetProperty("repr").GetString()));
        var parameters = m.named_parameters().ToList();
        var init = c.GetProperty("init_params").EnumerateObject().ToList();
        Assert.That(parameters.Select(p => p.name), Is.EqualTo(init.Select(p => p.Name)), "names and order");
        foreach (var (name, p) in parameters)
            Assert.That(Flat(p), Is.EqualTo(Values(c.GetProperty("init_params").GetProperty(name))).Within(0), $"initial {name}");

        // The twin's draws before the forward: each layer norm's perturbation, the input, the states.
        foreach (var (name, p) in parameters.Where(p => p.name.Contains("_ln_", StringComparison.Ordinal))) torch.randn(p.shape, dtype: dtype);
        using (torch.no_grad())
        {
            foreach (var (name, p) in parameters) p.copy_(Tensor(c.GetProperty("params").GetProperty(name), dtype));
        }
        var x = Tensor(c.GetProperty("input"), dtype).requires_grad_();
        var hx = c.GetProperty("hx").EnumerateArray().Select(e => Tensor(e, dtype).requires_grad_()).ToArray();
        torch.randn(x.shape, dtype: dtype);
        foreach (var h in hx) torch.randn(h.shape, dtype: dtype);
        m.train(c.GetProperty("train").GetBoolean());
        var drawsInForward = !isCell && m.training && c.GetProperty("dropout").GetDouble() > 0;
        var beforeForward = RandomState.Get();

        var (output, h_n, c_n) = isCell ? RunCell((RecurrentCell)m, c, x, hx) : RunSequence((Recurrent)m, c, x, hx);
        var next = torch.randn(3);
        Loss(output, h_n, c_n).backward();

        var (rtol, atol) = dtype == ScalarType.Float64 ? (1e-10, 1e-12) : (1e-4, 1e-5);
        // An Intel CPU draws other dropout masks than the twin's (DrawPath): there the masked numbers are checked
        // against the masks this LibTorch drew, and the twin's only where the masks are the twin's.
        if (drawsInForward) AssertMatchesLayerByLayer(c, (Recurrent)m, x, hx, (output, h_n, c_n), next, beforeForward, rtol, atol);
        if (drawsInForward && !DrawPath.MatchesFixtures) return;
        Close(output, c.GetProperty("output"), rtol, atol, "output");
        if (h_n is not null) Close(h_n, c.GetProperty("h_n"), rtol, atol, "h_n");
        if (c_n is not null) Close(c_n, c.GetProperty("c_n"), rtol, atol, "c_n");
        Assert.That(Flat(next), Is.EqualTo(Values(c.GetProperty("next_randn"))).Within(0), "the generator's position after the forward");
        foreach (var (name, p) in parameters) CloseFlat(p.grad!, c.GetProperty("grads").GetProperty(name), rtol * 10, atol * 10, $"grad {name}");
        CloseFlat(x.grad!, c.GetProperty("input_grad"), rtol * 10, atol * 10, "input grad");
        var hxGrads = c.GetProperty("hx_grad").EnumerateArray().ToArray();
        for (var i = 0; i < hx.Length; i++) CloseFlat(hx[i].grad!, hxGrads[i], rtol * 10, atol * 10, $"hx[{i}] grad");
    }

    private static Tensor Loss(Tensor output, Tensor? h_n, Tensor? c_n)
    {
        var loss = output.pow(2).sum();
        if (h_n is not null) loss += h_n.pow(2).sum();
        if (c_n is not null) loss += c_n.pow(2).sum();
        return loss;
    }

    /// <summary>
    /// Dropout in training, whatever masks this LibTorch draws: the module's results, gradients and generator
    /// position are those of its layers run one by one without dropout, the masks drawn between them in ATen's order
    /// from where the forward started (<see cref="DropoutStack"/>). Where the masks are the twin's this holds too,
    /// which proves the re-derivation on the twin's numbers.
    /// </summary>
    private static void AssertMatchesLayerByLayer(JsonElement c, Recurrent m, Tensor x, Tensor[] hx,
        (Tensor Output, Tensor? H, Tensor? C) actual, Tensor next, Tensor beforeForward, double rtol, double atol)
    {
        Assert.That(c.GetProperty("lengths").ValueKind == JsonValueKind.Null && !c.GetProperty("batch_first").GetBoolean(),
            "the re-derivation runs dense time-major input");
        var module = c.GetProperty("module").GetString()!;
        var layers = (int)c.GetProperty("num_layers").GetInt64();
        var bidirectional = c.GetProperty("bidirectional").GetBoolean();
        var directions = bidirectional ? 2 : 1;
        var hidden = c.GetProperty("hidden_size").GetInt64();
        var dtype = x.dtype;
        // Built before the generator is rewound: construction draws.
        var ones = Enumerable.Range(0, layers).Select(k => SequenceFactory(module)(k == 0 ? c.GetProperty("input_size").GetInt64() : directions * hidden,
            hidden, 1, c.GetProperty("bias").GetBoolean(), false, 0, bidirectional, dtype)).ToList();
        for (var k = 0; k < layers; k++)
        {
            ones[k].train();
            DropoutStack.CopyLayer(m, k, ones[k]);
        }
        RandomState.Set(beforeForward);

        var input = x.detach().clone().requires_grad_();
        var h0 = hx.Select(h => h.detach().clone().requires_grad_()).ToArray();
        var (output, h_n, c_n) = DropoutStack.Forward(layers, directions, c.GetProperty("dropout").GetDouble(), input,
            h0.Length > 0 ? h0[0] : null, h0.Length > 1 ? h0[1] : null, (k, layerInput, h, cell) =>
            {
                var (o, state) = ones[k].call(layerInput, h is null ? (HiddenState?)null : new HiddenState(h, cell));
                return (o, state.h, state.c);
            });
        Assert.That(Flat(next), Is.EqualTo(Flat(torch.randn(3))).Within(0), "randn after forward: the module drew exactly the masks of ATen's order");
        Loss(output, h_n, c_n).backward();

        CloseTo(actual.Output, output, rtol, atol, "output against its layers with this LibTorch's masks");
        if (actual.H is not null) CloseTo(actual.H, h_n, rtol, atol, "h_n against its layers");
        if (actual.C is not null) CloseTo(actual.C, c_n!, rtol, atol, "c_n against its layers");
        var grads = DropoutStack.Grads(ones);
        foreach (var (name, p) in m.named_parameters()) CloseTo(p.grad!, grads[name], rtol * 10, atol * 10, $"grad {name} against its layers");
        CloseTo(x.grad!, input.grad!, rtol * 10, atol * 10, "input grad against its layers");
        for (var i = 0; i < hx.Length; i++) CloseTo(hx[i].grad!, h0[i].grad!, rtol * 10, atol * 10, $"hx[{i}] grad against its layers");
    }

    private static void CloseTo(Tensor actual, Tensor expected, double rtol, double atol, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), what + " shape");
        var (a, e) = (Flat(actual), Flat(expected));
        for (var i = 0; i < a.Length; i++)
        {
            if (Math.Abs(a[i] - e[i]) > atol + rtol * Math.Abs(e[i]))
                Assert.Fail($"{what}[{i}]: {a[i]:R} vs {e[i]:R}");
        }
    }

    private static (Tensor output, Tensor? h_n, Tensor? c_n) RunSequence(Recurrent m, JsonElement c, Tensor x, Tensor[] hx)
    {
        HiddenState? state = hx.Length == 0 ? null : new HiddenState?(new HiddenState(hx[0], hx.Length > 1 ? hx[1] : null));
        if (c.GetProperty("lengths").ValueKind == JsonValueKind.Null)
        {
            var (output, h_n) = m.call(x, state);
            return (output, h_n.h, h_n.c);
        }
        var lengths = c.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted: c.GetProperty("enforce_sorted").GetBoolean());
        var (packedOutput, packedState) = m.call(packed, state);
        return (nn.utils.rnn.pad_packed_sequence(packedOutput).padded, packedState.h, packedState.c);
    }

    private static (Tensor output, Tensor? h_n, Tensor? c_n) RunCell(RecurrentCell m, JsonElement c, Tensor x, Tensor[] hx)
    {
        HiddenState? state = hx.Length == 0 ? null : new HiddenState?(new HiddenState(hx[0], hx.Length > 1 ? hx[1] : null));
        for (var i = 0; i < c.GetProperty("steps").GetInt32(); i++) state = m.call(x, state);
        return (state!.Value.h, null, state.Value.c);
    }

    private static Func<long, long, bool, ScalarType, RecurrentCell> CellFactory(string module) => module switch
    {
        "LayerNormLSTMCell" => (i, h, b, t) => nn.LayerNormLSTMCell(i, h, b, dtype: t),
        "LayerNormGRUCell" => (i, h, b, t) => nn.LayerNormGRUCell(i, h, b, dtype: t),
        _ => (i, h, b, t) => nn.PeepholeLSTMCell(i, h, b, dtype: t),
    };

    private static Func<long, long, long, bool, bool, double, bool, ScalarType, Recurrent> SequenceFactory(string module) => module switch
    {
        "LayerNormLSTM" => (i, h, l, b, bf, d, bi, t) => nn.LayerNormLSTM(i, h, l, b, bf, d, bi, dtype: t),
        "LayerNormGRU" => (i, h, l, b, bf, d, bi, t) => nn.LayerNormGRU(i, h, l, b, bf, d, bi, dtype: t),
        _ => (i, h, l, b, bf, d, bi, t) => nn.PeepholeLSTM(i, h, l, b, bf, d, bi, dtype: t),
    };

    private static Tensor Tensor(JsonElement e, ScalarType dtype) => RecordedTensor.From(e)!.ToTensor(dtype, torch.CPU);

    private static double[] Values(JsonElement e)
        => e.ValueKind == JsonValueKind.Array ? RecordedTensor.Doubles(e) : RecordedTensor.Doubles(e.GetProperty("values"));

    private static double[] Flat(Tensor t) => t.detach().to(ScalarType.Float64).reshape(-1).data<double>().ToArray();

    private static void Close(Tensor actual, JsonElement expected, double rtol, double atol, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray()), what + " shape");
        CloseFlat(actual, expected, rtol, atol, what);
    }

    private static void CloseFlat(Tensor actual, JsonElement expected, double rtol, double atol, string what)
    {
        var a = Flat(actual);
        var e = Values(expected);
        Assert.That(a.Length, Is.EqualTo(e.Length), what);
        for (var i = 0; i < a.Length; i++)
        {
            if (Math.Abs(a[i] - e[i]) > atol + rtol * Math.Abs(e[i]))
                Assert.Fail($"{what}[{i}]: {a[i]:R} vs PyTorch's {e[i]:R}");
        }
    }
}

using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Engines;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests;

/// <summary>
/// Every case of tests/fixtures/rnn.json (made by real PyTorch with generate.py), replayed in TorchRnn: the same
/// seed gives the same weights, input, outputs, gradients and later draws; PyTorch's weights give PyTorch's numbers
/// on every device; the repr is PyTorch's.
/// </summary>
public class PyTorchParityTests
{
    private static IEnumerable<TestCaseData> SeededCases()
        => Fixtures.All().Select(c => new TestCaseData(c).SetArgDisplayNames(c.Module, c.Name));

    private static IEnumerable<TestCaseData> DeviceCases()
        => from c in Fixtures.All()
           where !c.DrawsInForward
           from d in Devices.Names()
           select new TestCaseData(c, d).SetArgDisplayNames(c.Module, c.Name, d);

    /// <summary>
    /// Every sequence case once per engine that can compute it (with projections the managed one and, for LSTM, the fused
    /// one under autograd), so a
    /// call that the kinds' <c>ChooseEngine</c> sends to any engine is checked against PyTorch, gradients and dropout
    /// draws included.
    /// </summary>
    private static IEnumerable<TestCaseData> EngineCases()
        => from c in Fixtures.All()
           where c.Module is "RNN" or "LSTM" or "GRU"
           from engine in (c.ProjSize > 0 ? [Engine.Managed] : new[] { Engine.Native, Engine.Cells, Engine.Managed })
               .Concat(c.Module == "LSTM" ? [Engine.FusedTraining] : [])
           select new TestCaseData(c, engine.ToString()).SetArgDisplayNames(c.Module, c.Name, engine.ToString());

    /// <summary>
    /// The engine cases whose forward draws nothing (dropout in training is covered with gradients), and the fused
    /// inference engine (float32 without autograd only) on every such float32 case it can compute.
    /// </summary>
    private static IEnumerable<TestCaseData> NoGradEngineCases()
        => EngineCases().Where(d => !((ModuleCase)d.Arguments[0]!).DrawsInForward)
            .Concat(from c in Fixtures.All()
                    where c.Module is "RNN" or "LSTM" or "GRU" && c.DType == ScalarType.Float32 && !c.DrawsInForward
                    select new TestCaseData(c, nameof(Engine.Fused)).SetArgDisplayNames(c.Module, c.Name, nameof(Engine.Fused)));

    [TestCaseSource(nameof(SeededCases))]
    public void Forward_SameSeed_MatchesPyTorch(ModuleCase c) => Replay.FromSeed(c);

    [TestCaseSource(nameof(EngineCases))]
    public void Forward_SameSeedOnEachEngine_MatchesPyTorch(ModuleCase c, string engine)
        => Replay.FromSeed(c, System.Enum.Parse<Engine>(engine));

    /// <summary>
    /// Without gradients the engines take other code paths (the managed steps work in place, LibTorch runs oneDNN's
    /// inference kernel for float32 LSTMs), so every case that draws nothing in its forward also runs with each engine
    /// asked for under <c>no_grad</c> against PyTorch's outputs. What this asserts is TorchRnn's promise, the public
    /// result: a vendor kernel asked for stays behind the kernel check, which routes the call around it on a CPU where
    /// it is wrong (oneDNN's LSTM inference kernel on AMD Zen 5); KernelGuardTests proves the routing itself.
    /// </summary>
    [TestCaseSource(nameof(NoGradEngineCases))]
    public void Forward_NoGradAskingForEachEngine_MatchesPyTorch(ModuleCase c, string engine)
    {
        using var scope = torch.NewDisposeScope();
        var module = ModuleRunner.Build(c);
        ((RNNBase)module).ForcedEngine = System.Enum.Parse<Engine>(engine);
        module.train(c.Train);
        using var noGrad = torch.no_grad();
        foreach (var (name, value) in c.Parameters)
            module.get_parameter(name)!.copy_(value.ToTensor(c.DType, torch.CPU));
        var input = c.Input.ToTensor(c.DType, torch.CPU);
        var hx = c.Hx.Select(h => h.ToTensor(c.DType, torch.CPU)).ToList();
        // The fused engine reads copies of the weights from the second call with them unchanged, where the sizes allow
        // one (WeightCopiesTests covers the layouts at sizes that use them): its third call is checked as well as its first.
        foreach (var call in engine == nameof(Engine.Fused) ? new[] { 1, 2, 3 } : [1])
        {
            var (output, hn, cn) = ModuleRunner.Forward(c, module, input, hx);
            if (call == 2) continue;
            Expect.Close(output, c.Output, c.Tolerance, $"output, call {call}");
            if (c.HN is not null) Expect.Close(hn!, c.HN, c.Tolerance, $"h_n, call {call}");
            if (c.CN is not null) Expect.Close(cn!, c.CN, c.Tolerance, $"c_n, call {call}");
        }
    }

    [TestCaseSource(nameof(DeviceCases))]
    public void Forward_PyTorchWeights_MatchesPyTorchOnEveryDevice(ModuleCase c, string deviceName)
        => Replay.WithFixtureWeights(c, torch.device(deviceName));

    [TestCaseSource(nameof(SeededCases))]
    public void ToString_FixtureOptions_PrintsPyTorchRepr(ModuleCase c)
    {
        using var module = ModuleRunner.Build(c);
        Assert.That(module.ToString(), Is.EqualTo(c.Repr));
    }
}

/// <summary>The two ways a fixture case is replayed: from the seed (CPU), or with PyTorch's weights copied in.</summary>
internal static class Replay
{
    public static void FromSeed(ModuleCase c, Engine? engine = null)
    {
        torch.manual_seed(c.Seed);
        using var scope = torch.NewDisposeScope();
        var module = ModuleRunner.Build(c);
        if (engine is not null) ((RNNBase)module).ForcedEngine = engine;

        // Seed parity: construction draws exactly PyTorch's weights, in PyTorch's order, in the module's dtype.
        var expected = c.Parameters;
        Assert.That(module.named_parameters().Select(p => p.name), Is.EqualTo(expected.Select(p => p.Name)), "parameter names");
        foreach (var (name, value) in expected)
            Expect.Identical(module.get_parameter(name)!, value, name);

        module.train(c.Train);
        var input = torch.randn(c.Input.Shape, dtype: c.DType).requires_grad_();
        Expect.Identical(input, c.Input, "input drawn after construction");
        var hx = new List<Tensor>();
        foreach (var recorded in c.Hx)
        {
            hx.Add(torch.randn(recorded.Shape, dtype: c.DType).requires_grad_());
            Expect.Identical(hx[^1], recorded, "state drawn after construction");
        }

        var beforeForward = RandomState.Get();
        // An Intel CPU draws other masks than the fixture's (DrawPath): there the masked numbers are checked against
        // the masks this LibTorch drew, below, and the fixture's only where the masks are the fixture's.
        var fixtureMasks = !c.DrawsInForward || DrawPath.MatchesFixtures;
        var (output, hn, cn) = fixtureMasks
            ? ModuleRunner.AssertForwardAndBackward(c, module, input, hx)
            : ForwardAndBackward(c, module, input, hx);
        var next = torch.randn(4, dtype: c.DType);

        // The generator is where PyTorch's is: dropout drew exactly what PyTorch drew.
        if (fixtureMasks) Expect.Identical(next, new RecordedTensor([4], c.NextRandn), "randn after forward");
        if (c.DrawsInForward)
        {
            AssertMatchesLayerByLayer(c, module, input, hx, (output, hn, cn), next, beforeForward);
        }
    }

    private static (Tensor Output, Tensor? HN, Tensor? CN) ForwardAndBackward(ModuleCase c, torch.nn.Module module, Tensor input, IReadOnlyList<Tensor> hx)
    {
        var (output, hn, cn) = ModuleRunner.Forward(c, module, input, hx);
        ModuleRunner.Loss(output, hn, cn).backward();
        return (output, hn, cn);
    }

    /// <summary>
    /// Dropout in training, whatever masks this LibTorch draws: the module's results, gradients and generator
    /// position are those of its layers run one by one without dropout, with the masks drawn between them in ATen's
    /// order from where the forward started (<see cref="DropoutStack"/>). Where the masks are the fixture's this
    /// also holds, which proves the re-derivation on the fixture's numbers.
    /// </summary>
    private static void AssertMatchesLayerByLayer(ModuleCase c, torch.nn.Module module, Tensor input, IReadOnlyList<Tensor> hx,
        (Tensor Output, Tensor? HN, Tensor? CN) actual, Tensor next, Tensor beforeForward)
    {
        var directions = c.Bidirectional ? 2 : 1;
        var outSize = directions * (c.ProjSize > 0 ? c.ProjSize : c.HiddenSize);
        // Built before the generator is rewound: construction draws.
        var ones = Enumerable.Range(0, (int)c.NumLayers).Select(k => OneLayer(c, k == 0 ? c.InputSize : outSize)).ToList();
        for (var k = 0; k < ones.Count; k++) DropoutStack.CopyLayer(module, k, ones[k]);
        RandomState.Set(beforeForward);

        var x = input.detach().clone().requires_grad_();
        var h0 = hx.Select(h => h.detach().clone().requires_grad_()).ToList();
        PackedSequence? packed = c.Lengths is { } lengths ? nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted: c.EnforceSorted) : null;
        // The stack's masks cover its time-major layer outputs (batch_first input is transposed first).
        var timeMajor = packed?.data ?? (c.BatchFirst ? x.transpose(0, 1) : x);
        var (output, hn, cn) = DropoutStack.Forward((int)c.NumLayers, directions, c.Dropout, timeMajor,
            h0.Count > 0 ? h0[0] : null, h0.Count > 1 ? h0[1] : null, (k, layerInput, h, cell) =>
            {
                if (packed is null)
                {
                    var (o, hN, cN) = ModuleRunner.Forward(ones[k], layerInput, h is null ? [] : cell is null ? [h] : [h, cell]);
                    return (o, hN!, cN);
                }
                var layerPacked = new PackedSequence(layerInput, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices);
                switch (ones[k])
                {
                    case RNN rnn: { var (o, hN) = rnn.call(layerPacked, h); return (o.data, hN, null); }
                    case GRU gru: { var (o, hN) = gru.call(layerPacked, h); return (o.data, hN, null); }
                    case LSTM lstm: { var (o, (hN, cN)) = lstm.call(layerPacked, cell is null ? null : (h!, cell)); return (o.data, hN, cN); }
                    default: throw new System.ArgumentException(ones[k].GetType().Name);
                }
            });
        if (packed is null && c.BatchFirst) output = output.transpose(0, 1);
        Expect.Identical(next, new RecordedTensor([4], Expect.Values(torch.randn(4, dtype: c.DType))),
            "randn after forward: the module drew exactly the masks of ATen's order");
        ModuleRunner.Loss(output, hn, cn).backward();

        Expect.Close(actual.Output, output, c.Tolerance, "output against its layers with this LibTorch's masks");
        if (actual.HN is not null) Expect.Close(actual.HN, hn, c.Tolerance, "h_n against its layers");
        if (actual.CN is not null) Expect.Close(actual.CN, cn!, c.Tolerance, "c_n against its layers");
        var grads = DropoutStack.Grads(ones);
        foreach (var (name, p) in module.named_parameters())
            Expect.Close(p.grad!, grads[name], c.Tolerance, $"grad of {name} against its layers");
        Expect.Close(input.grad!, x.grad!, c.Tolerance, "grad of input against its layers");
        for (var i = 0; i < hx.Count; i++)
            Expect.Close(hx[i].grad!, h0[i].grad!, c.Tolerance, $"grad of hx[{i}] against its layers");
    }

    private static torch.nn.Module OneLayer(ModuleCase c, long inputSize) => c.Module switch
    {
        "RNN" => nn.RNN(inputSize, c.HiddenSize, 1, c.Nonlinearity, c.Bias, false, 0, c.Bidirectional, dtype: c.DType),
        "LSTM" => nn.LSTM(inputSize, c.HiddenSize, 1, c.Bias, false, 0, c.Bidirectional, c.ProjSize, dtype: c.DType),
        "GRU" => nn.GRU(inputSize, c.HiddenSize, 1, c.Bias, false, 0, c.Bidirectional, dtype: c.DType),
        _ => throw new System.ArgumentException(c.Module),
    };

    public static void WithFixtureWeights(ModuleCase c, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var module = ModuleRunner.Build(c, device);
        module.train(c.Train);
        using (torch.no_grad())
        {
            foreach (var (name, value) in c.Parameters)
                module.get_parameter(name)!.copy_(value.ToTensor(c.DType, device));
        }
        var input = c.Input.ToTensor(c.DType, device, requiresGrad: true);
        var hx = c.Hx.Select(h => h.ToTensor(c.DType, device, requiresGrad: true)).ToList();
        ModuleRunner.AssertForwardAndBackward(c, module, input, hx);
    }
}

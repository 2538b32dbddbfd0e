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
    /// Every sequence case once per engine that can compute it (with projections only the managed one exists), so a
    /// call that the kinds' <c>ChooseEngine</c> sends to any engine is checked against PyTorch, gradients and dropout
    /// draws included.
    /// </summary>
    private static IEnumerable<TestCaseData> EngineCases()
        => from c in Fixtures.All()
           where c.Module is "RNN" or "LSTM" or "GRU"
           from engine in c.ProjSize > 0 ? [Engine.Managed] : new[] { Engine.Native, Engine.Cells, Engine.Managed }
           select new TestCaseData(c, engine.ToString()).SetArgDisplayNames(c.Module, c.Name, engine.ToString());

    /// <summary>The engine cases whose forward draws nothing (dropout in training is covered with gradients).</summary>
    private static IEnumerable<TestCaseData> NoGradEngineCases()
        => EngineCases().Where(d => !((ModuleCase)d.Arguments[0]!).DrawsInForward);

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
        var (output, hn, cn) = ModuleRunner.Forward(c, module, c.Input.ToTensor(c.DType, torch.CPU),
            c.Hx.Select(h => h.ToTensor(c.DType, torch.CPU)).ToList());
        Expect.Close(output, c.Output, c.Tolerance, "output");
        if (c.HN is not null) Expect.Close(hn!, c.HN, c.Tolerance, "h_n");
        if (c.CN is not null) Expect.Close(cn!, c.CN, c.Tolerance, "c_n");
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

        ModuleRunner.AssertForwardAndBackward(c, module, input, hx);

        // The generator is where PyTorch's is: dropout drew exactly what PyTorch drew.
        Expect.Identical(torch.randn(4, dtype: c.DType), new RecordedTensor([4], c.NextRandn), "randn after forward");
    }

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

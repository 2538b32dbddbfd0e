using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Diagnostics;
using TorchRnn.Engines;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Engines;

/// <summary>
/// The kernel check (<see cref="GuardedSequence"/>, <see cref="GuardedCell"/>): a vendor kernel that returns wrong
/// numbers is caught on the first call of its configuration, reported once, and never reaches a result. The wrong
/// kernels here are test doubles (<see cref="SequenceKernelDouble"/>), so these tests prove the check on every CPU; the
/// last ones replay the real oneDNN fault's sizes, which are wrong on AMD Zen 5 and right elsewhere.
/// </summary>
[NonParallelizable] // they replace Warnings.Handler and may switch KernelCheck.Enabled
public class KernelGuardTests
{
    private readonly List<string> _warnings = [];
    private System.Action<string>? _previous;

    [SetUp]
    public void CaptureWarnings()
    {
        _warnings.Clear();
        _previous = Warnings.Handler;
        Warnings.Handler = _warnings.Add;
    }

    [TearDown]
    public void RestoreWarnings()
    {
        Warnings.Handler = _previous;
        KernelCheck.Enabled = true;
    }

    /// <summary>Every fixture case of a sequence module that a vendor kernel can compute, once per vendor engine.</summary>
    private static IEnumerable<TestCaseData> VendorCases()
        => from c in Fixtures.All()
           where c.Module is "RNN" or "LSTM" or "GRU" && c.ProjSize == 0 && !c.DrawsInForward && !c.Input.Shape.Contains(0)
           from engine in new[] { Engine.Native, Engine.Cells }
           select new TestCaseData(c, engine.ToString()).SetArgDisplayNames(c.Module, c.Name, engine.ToString());

    private static IEnumerable<TestCaseData> CellCases()
        => from c in Fixtures.All()
           where c.Module is "RNNCell" or "LSTMCell" or "GRUCell" && c.HiddenSize > 0 && !c.Input.Shape.Contains(0)
           select new TestCaseData(c).SetArgDisplayNames(c.Module, c.Name);

    [TestCaseSource(nameof(VendorCases))]
    public void Forward_WrongKernel_ReturnsPyTorchsNumbersAndWarnsOnce(ModuleCase c, string engine)
    {
        using var scope = torch.NewDisposeScope();
        var module = FixtureModule(c, engine);
        SequenceKernelDouble? wrong = null;
        module.SubstituteKernels(_ => wrong = new SequenceKernelDouble(module.ManagedEngine, 0.25));

        for (var call = 0; call < 3; call++) AssertMatchesFixture(c, module, $"call {call}");

        Assert.That(_warnings, Has.Count.EqualTo(1), "one warning for the configuration");
        Assert.That(_warnings[0], Does.Contain("a wrong test kernel").And.Contain(module.ToString()).And.Contain("KernelCheck.Enabled = false"));
        Assert.That(wrong!.Calls, Is.EqualTo(1), "after its verdict the wrong kernel is never called again");
        Assert.That(module.Guard.Verdicts.Single(v => v.Kernel == "a wrong test kernel").Right, Is.False);
        // Its calls went to the fallback: the fused engine, under a verdict of its own, where it takes them (float32 inference).
        Assert.That(module.Guard.Verdicts.Where(v => v.Kernel != "a wrong test kernel").Select(v => v.Right), Has.All.True);
    }

    [TestCaseSource(nameof(VendorCases))]
    public void Forward_RightKernel_KeepsTheKernelAndStaysSilent(ModuleCase c, string engine)
    {
        using var scope = torch.NewDisposeScope();
        var module = FixtureModule(c, engine);
        SequenceKernelDouble? right = null;
        module.SubstituteKernels(_ => right = new SequenceKernelDouble(module.ManagedEngine, 0));

        for (var call = 0; call < 3; call++) AssertMatchesFixture(c, module, $"call {call}");

        Assert.That(_warnings, Is.Empty);
        Assert.That(right!.Calls, Is.EqualTo(3), "a right kernel computes every call");
        Assert.That(module.Guard.Verdicts.Single().Right, Is.True);
    }

    [TestCaseSource(nameof(CellCases))]
    public void Call_WrongCell_ReturnsPyTorchsNumbersAndWarnsOnce(ModuleCase c)
    {
        using var scope = torch.NewDisposeScope();
        var module = (RNNCellBase)ModuleRunner.Build(c);
        module.Guard = new KernelGuard();
        CopyFixtureWeights(c, module);
        CellKernelDouble? wrong = null;
        module.SubstituteKernel(real => wrong = new CellKernelDouble(real, module, 0.25));

        for (var call = 0; call < 3; call++) AssertMatchesFixture(c, module, $"call {call}");

        Assert.That(_warnings, Has.Count.EqualTo(1));
        Assert.That(_warnings[0], Does.Contain("a wrong test cell"));
        Assert.That(wrong!.Calls, Is.EqualTo(1));
    }

    [Test]
    public void Forward_WrongKernelOnPackedInput_ReturnsTheManagedEnginesNumbers()
    {
        // The managed engine's packed results are pinned to PyTorch's by PackedForwardTests; here the check must
        // hand them out in place of a wrong kernel's.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var lstm = nn.LSTM(3, 6, num_layers: 2, bidirectional: true);
        lstm.Guard = new KernelGuard();
        lstm.ForcedEngine = Engine.Native;
        SequenceKernelDouble? wrong = null;
        lstm.SubstituteKernels(_ => wrong = new SequenceKernelDouble(lstm.ManagedEngine, 0.25));
        var packed = nn.utils.rnn.pack_sequence([torch.randn(5, 3), torch.randn(2, 3), torch.randn(4, 3)], enforce_sorted: false);

        var (output, (h_n, c_n)) = lstm.call(packed);
        lstm.ForcedEngine = Engine.Managed;
        var (expected, (expectedH, expectedC)) = lstm.call(packed);

        Assert.That(output.data.allclose(expected.data, rtol: 0, atol: 1e-6), Is.True, "output");
        Assert.That(h_n.allclose(expectedH, rtol: 0, atol: 1e-6) && c_n.allclose(expectedC, rtol: 0, atol: 1e-6), Is.True, "states");
        Assert.That(wrong!.Calls, Is.EqualTo(1));
        Assert.That(_warnings, Has.Count.EqualTo(1).And.Some.Contain("packed input"));
    }

    [Test]
    public void Forward_WrongKernelWithDropoutInTraining_DrawsPyTorchsMasksOnTheManagedEngine()
    {
        // The check judges a run without dropout (which draws nothing), so the call itself draws exactly the masks
        // the managed engine draws from the same seed: PyTorch's (PyTorchParityTests pins them).
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var gru = nn.GRU(4, 5, num_layers: 3, dropout: 0.5);
        gru.Guard = new KernelGuard();
        gru.ForcedEngine = Engine.Native;
        SequenceKernelDouble? wrong = null;
        gru.SubstituteKernels(_ => wrong = new SequenceKernelDouble(gru.ManagedEngine, 0.25));
        var x = torch.randn(6, 2, 4);

        torch.manual_seed(12);
        var (output, h_n) = gru.call(x);
        var next = torch.randn(3);
        gru.ForcedEngine = Engine.Managed;
        torch.manual_seed(12);
        var (expected, expectedH) = gru.call(x);

        Assert.That(output.allclose(expected, rtol: 0, atol: 1e-6) && h_n.allclose(expectedH, rtol: 0, atol: 1e-6), Is.True);
        Assert.That(next.allclose(torch.randn(3), rtol: 0, atol: 0), Is.True, "the generator is where the managed engine leaves it");
        Assert.That(wrong!.Calls, Is.EqualTo(1), "only the judged run without dropout");
    }

    [Test]
    public void Forward_NonFiniteInputBeforeAnyVerdict_RunsTheManagedEngineAndDecidesNothing()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var rnn = nn.RNN(4, 4);
        rnn.Guard = new KernelGuard();
        rnn.ForcedEngine = Engine.Native;
        SequenceKernelDouble? wrong = null;
        rnn.SubstituteKernels(_ => wrong = new SequenceKernelDouble(rnn.ManagedEngine, 0.25));
        var x = torch.randn(3, 2, 4);
        x[1, 0, 2] = torch.tensor(float.NaN);

        var (output, _) = rnn.call(x);

        Assert.That(wrong!.Calls, Is.Zero);
        Assert.That(rnn.Guard.Verdicts, Is.Empty, "a comparison over NaN proves nothing either way");
        Assert.That(output[0].isfinite().all().item<bool>(), Is.True, "the steps before the NaN are finite");
    }

    [Test]
    public void Forward_AfterClear_ChecksTheKernelAgain()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var lstm = nn.LSTM(4, 4, num_layers: 2);
        lstm.Guard = new KernelGuard();
        lstm.ForcedEngine = Engine.Native;
        SequenceKernelDouble? wrong = null;
        lstm.SubstituteKernels(_ => wrong = new SequenceKernelDouble(lstm.ManagedEngine, 0.25));
        var x = torch.randn(3, 2, 4);

        lstm.call(x);
        lstm.call(x);
        lstm.Guard.Clear();
        lstm.call(x);
        lstm.call(x);

        Assert.That(wrong!.Calls, Is.EqualTo(2), "once per verdict");
        Assert.That(_warnings, Has.Count.EqualTo(2));
    }

    [Test]
    public void Forward_CheckTurnedOff_TrustsTheKernel()
    {
        // The opt-out is what TorchSharp's own modules do: the kernel's numbers, right or wrong.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var gru = nn.GRU(4, 4);
        gru.Guard = new KernelGuard();
        gru.ForcedEngine = Engine.Native;
        gru.SubstituteKernels(_ => new SequenceKernelDouble(gru.ManagedEngine, 0.25));
        var x = torch.randn(3, 2, 4);
        KernelCheck.Enabled = false;
        var (trusted, _) = gru.call(x);
        KernelCheck.Enabled = true;
        var (checkedOutput, _) = gru.call(x);

        Assert.That((trusted - checkedOutput).abs().min().item<float>(), Is.EqualTo(0.25f).Within(1e-5));
        Assert.That(_warnings, Has.Count.EqualTo(1));
    }

    private static IEnumerable<TestCaseData> OneDnnFaultSizes()
        => KernelCheckFixture.Cases.Select(c => new TestCaseData(c).SetArgDisplayNames($"H={c.HiddenSize}"));

    /// <summary>
    /// The real fault's sizes: a float32 LSTM under no_grad, which LibTorch sends to oneDNN's inference kernel. What
    /// TorchRnn promises holds on every CPU: the public result is PyTorch's (computed in float64). And where the
    /// kernel itself is wrong (AMD Zen 5 at these sizes), the check caught it exactly as it catches the double.
    /// </summary>
    [TestCaseSource(nameof(OneDnnFaultSizes))]
    public void Forward_Float32LstmWithoutGradients_MatchesPyTorchAndCatchesAWrongKernel(KernelCheckCase c)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(c.Seed);
        var lstm = nn.LSTM(c.HiddenSize, c.HiddenSize, c.NumLayers);
        var x = torch.randn(c.Length, c.Batch, c.HiddenSize);
        var weightSum = lstm.parameters().Sum(p => p.to(ScalarType.Float64).sum().item<double>());
        Assert.That(weightSum, Is.EqualTo(c.WeightSum).Within(1e-9), "seeded weights are PyTorch's");
        lstm.Guard = new KernelGuard();
        lstm.ForcedEngine = Engine.Native;
        using var noGrad = torch.no_grad();

        var (output, (h_n, c_n)) = lstm.call(x);

        Expect.Close(Expect.Values(output), c.Output, 1e-5, "output");
        Expect.Close(Expect.Values(h_n), c.HN, 1e-5, "h_n");
        Expect.Close(Expect.Values(c_n), c.CN, 1e-5, "c_n");

        KernelCheck.Enabled = false;
        var (raw, _) = lstm.call(x);
        KernelCheck.Enabled = true;
        var kernelRight = Expect.Values(raw).Zip(c.Output).All(p => System.Math.Abs(p.First - p.Second) <= 1e-4 * (1 + System.Math.Abs(p.Second)));
        // A wrong kernel hands its calls to the fused engine, whose own first call is judged too: the verdict on oneDNN is the first.
        var verdict = lstm.Guard.Verdicts.Single(v => v.Kernel.Contains("oneDNN", System.StringComparison.Ordinal));
        Assert.That(verdict.Right, Is.EqualTo(kernelRight), $"the check's verdict on oneDNN here ({verdict})");
        Assert.That(_warnings, Has.Count.EqualTo(kernelRight ? 0 : 1));
    }

    [Test]
    public void SelfCheck_SmallGrid_ReportsEveryKernelAndTheMachine()
    {
        var before = KernelCheck.Verdicts.Count;
        var report = SelfCheck.Run([6, 32]);
        var text = report.ToString();

        // 3 modes x 2 sizes x 2 gradient modes x (whole-sequence kernel, cells in a sequence, cell module).
        Assert.That(report.Verdicts, Has.Count.EqualTo(36));
        Assert.That(text, Does.Contain("CPU: ").And.Contain("| verdict | kernel | configuration | largest difference |"));
        Assert.That(report.Verdicts.Select(v => v.Kernel).Distinct(), Is.SupersetOf(new[]
        {
            "LibTorch's LSTM kernel (oneDNN for float32 on the CPU)", "LibTorch's lstm_cell", "LibTorch's GRU kernel", "LibTorch's gru_cell",
            "LibTorch's RNN kernel",
        }));
        Assert.That(report.AllRight, Is.EqualTo(report.Verdicts.All(v => v.Right)));
        Assert.That(_warnings, Is.Empty, "the self-check reports, it does not warn");
        Assert.That(KernelCheck.Verdicts, Has.Count.EqualTo(before), "the self-check keeps its verdicts to itself");
    }

    [Test]
    public void SelfCheck_NonPositiveSize_IsRefused()
        => Assert.That(() => SelfCheck.Run([0]), Throws.ArgumentException.With.Message.Contain("hidden sizes must be positive"));

    private static RNNBase FixtureModule(ModuleCase c, string engine)
    {
        var module = (RNNBase)ModuleRunner.Build(c);
        module.Guard = new KernelGuard();
        module.ForcedEngine = System.Enum.Parse<Engine>(engine);
        module.train(c.Train);
        CopyFixtureWeights(c, module);
        return module;
    }

    private static void CopyFixtureWeights(ModuleCase c, torch.nn.Module module)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, value) in c.Parameters) module.get_parameter(name)!.copy_(value.ToTensor(c.DType, torch.CPU));
    }

    private static void AssertMatchesFixture(ModuleCase c, torch.nn.Module module, string what)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (output, hn, cn) = ModuleRunner.Forward(c, module, c.Input.ToTensor(c.DType, torch.CPU),
            c.Hx.Select(h => h.ToTensor(c.DType, torch.CPU)).ToList());
        Expect.Close(output, c.Output, c.Tolerance, $"{what}: output");
        if (c.HN is not null) Expect.Close(hn!, c.HN, c.Tolerance, $"{what}: h_n");
        if (c.CN is not null) Expect.Close(cn!, c.CN, c.Tolerance, $"{what}: c_n");
    }
}

/// <summary>A case of tests/fixtures/kernel_check.json (generate_kernel_check.py, PyTorch 1.13.1).</summary>
public sealed record KernelCheckCase(long HiddenSize, int Seed, long Length, long Batch, long NumLayers, double WeightSum,
    double[] Output, double[] HN, double[] CN);

internal static class KernelCheckFixture
{
    private static readonly System.Lazy<KernelCheckCase[]> All = new(() =>
    {
        using var json = JsonDocument.Parse(System.IO.File.ReadAllText(System.IO.Path.Combine(
            TestContext.CurrentContext.TestDirectory, "fixtures", "kernel_check.json")));
        return json.RootElement.GetProperty("cases").EnumerateArray().Select(e => new KernelCheckCase(
            e.GetProperty("hidden_size").GetInt64(), e.GetProperty("seed").GetInt32(), e.GetProperty("length").GetInt64(),
            e.GetProperty("batch").GetInt64(), e.GetProperty("num_layers").GetInt64(), e.GetProperty("weight_sum").GetDouble(),
            Doubles(e, "output"), Doubles(e, "h_n"), Doubles(e, "c_n"))).ToArray();
    });

    public static IReadOnlyList<KernelCheckCase> Cases => All.Value;

    private static double[] Doubles(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();
}

using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests;

/// <summary>What RecurrentModule promises: TorchRnn modules behave as TorchSharp modules in a user's model.</summary>
public class RecurrentModuleTests
{
    private sealed class Tagger : torch.nn.Module<Tensor, Tensor>
    {
        private readonly RNN rnn;
        private readonly TorchSharp.Modules.Linear head;

        public Tagger() : base(nameof(Tagger))
        {
            rnn = nn.RNN(5, 6, 2, dropout: 0.5);
            head = torch.nn.Linear(6, 2);
            RegisterComponents();
        }

        public RNN Rnn => rnn;

        public override Tensor forward(Tensor input) => head.call(rnn.call(input).output);
    }

    [Test]
    public void StateDict_InsideUserModule_KeysArePyTorchs()
    {
        using var model = new Tagger();
        Assert.That(model.state_dict().Keys, Is.EqualTo(new[]
        {
            "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
            "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
            "head.weight", "head.bias",
        }));
    }

    [Test]
    public void TrainAndEval_InsideUserModule_ReachTheRecurrentLayer()
    {
        using var scope = torch.NewDisposeScope();
        var model = new Tagger();
        var x = torch.randn(4, 3, 5);
        model.eval();
        Assert.That(model.Rnn.training, Is.False);
        var a = model.call(x);
        var b = model.call(x);
        Assert.That(a.allclose(b, 0, 0), Is.True, "eval: dropout is off, so repeated calls agree");
        model.train();
        Assert.That(model.Rnn.training, Is.True);
        torch.manual_seed(1);
        var c = model.call(x);
        Assert.That(c.allclose(a, 0, 0), Is.False, "train: dropout between the layers changes the result");
    }

    [Test]
    public void LoadStateDict_FromAnotherModule_ForwardGivesTheSameResult()
    {
        using var scope = torch.NewDisposeScope();
        var source = nn.RNN(5, 6, 2, bidirectional: true);
        var target = nn.RNN(5, 6, 2, bidirectional: true);
        target.load_state_dict(source.state_dict());
        var x = torch.randn(3, 2, 5);
        Assert.That(target.call(x).output.allclose(source.call(x).output, 0, 0), Is.True);
    }

    private static IEnumerable<TestCaseData> AttributeCases()
        => Fixtures.Modules("attributes").Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    /// <summary>
    /// PyTorch's attributes of each module of modules.json (mode, sizes, options, nonlinearity) under the same names
    /// with the same values, and PyTorch's repr: the options are read back as PyTorch reads them, not echoed.
    /// </summary>
    [TestCaseSource(nameof(AttributeCases))]
    public void Attributes_FixtureModule_ArePyTorchsAttributesAndRepr(ModuleCase c)
    {
        using var module = ModuleRunner.Build(c);
        Assert.Multiple(() =>
        {
            foreach (var (name, expected) in c.Attributes)
            {
                var property = module.GetType().GetProperty(name);
                if (property is null)
                {
                    Assert.Fail($"{c.Module} lacks PyTorch's attribute {name}");
                    continue;
                }
                Assert.That(property.GetValue(module), Is.EqualTo(PythonValue(expected, property.PropertyType)), name);
            }
            Assert.That(module.ToString(), Is.EqualTo(c.Repr), "repr");
        });
    }

    private static object PythonValue(JsonElement value, System.Type type) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => type == typeof(double) ? value.GetDouble() : value.GetInt64(),
    };

    private static IEnumerable<TestCaseData> ToFloat64Cases()
        => Fixtures.Modules("to_float64").Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    /// <summary>A module built in float32 and converted with to(Float64) computes as PyTorch's module.double() (modules.json).</summary>
    [TestCaseSource(nameof(ToFloat64Cases))]
    public void To_Float64_ComputesAsPyTorchsDouble(ModuleCase c)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(c.Seed);
        var module = ModuleRunner.Build(c);

        module.to(ScalarType.Float64);

        Assert.That(module.parameters().Select(p => p.dtype), Is.All.EqualTo(ScalarType.Float64));
        // PyTorch's input as recorded: LibTorch 2.10's float64 randn of fewer than 16 values can differ from 1.13's in
        // the last bit, and the conversion, not the generator, is under test here.
        var input = c.Input.ToTensor(ScalarType.Float64, torch.CPU);
        using var noGrad = torch.no_grad();
        var (output, hn, cn) = ModuleRunner.Forward(module, input, []);
        Expect.Close(output, c.Output, 1e-10, "output");
        Expect.Close(hn!, c.HN!, 1e-10, "h_n");
        Assert.That(cn is null, Is.EqualTo(c.CN is null), "c_n returned");
        if (cn is not null) Expect.Close(cn, c.CN!, 1e-10, "c_n");
    }

    [Test]
    public void Forward_Float32InputToFloat64Module_ThrowsTheFixturesMessage()
    {
        using var rnn = nn.RNN(5, 6, 2);
        rnn.to(ScalarType.Float64);
        Errors.Expect("module/Float64ModuleFloat32Input", Assert.Throws(Is.InstanceOf<System.ArgumentException>(), () => rnn.call(torch.ones(2, 1, 5)))!);
    }

    [Test]
    public void Optimizer_StepOnLoss_UpdatesTheParametersForwardUses()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var cell = nn.RNNCell(3, 2);
        var optimizer = torch.optim.SGD(cell.parameters(), 0.05);
        var x = torch.randn(4, 3);
        var before = cell.call(x).pow(2).sum().item<float>();
        for (var i = 0; i < 5; i++)
        {
            optimizer.zero_grad();
            cell.call(x).pow(2).sum().backward();
            optimizer.step();
        }
        Assert.That(cell.call(x).pow(2).sum().item<float>(), Is.LessThan(before));
    }

    [Test]
    public void Forward_ManyCallsInDisposeScopes_LeavesNoLiveTensors()
    {
        using var rnn = nn.RNN(5, 6, 2, bidirectional: true);
        using var cell = nn.RNNCell(5, 6);
        using var x = torch.randn(7, 3, 5);
        void Run()
        {
            using var scope = torch.NewDisposeScope();
            var (output, hn) = rnn.call(x);
            (output.sum() + hn.sum() + cell.call(x[0]).sum()).backward();
        }
        Run(); // warm-up: gradients are allocated once and then reused
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;
        for (var i = 0; i < 200; i++) Run();
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live));
    }

    [TestCase("LSTM")]
    [TestCase("GRU")]
    [TestCase("RNN_TANH")]
    public void ConstructAndDispose_ManyModules_LeavesNoLiveTensors(string mode)
    {
        // Each module's native cells draw weights of their own before they are given the module's: those must be
        // freed at once, not left to a finalizer (a 2-layer LSTM(512)'s are 16 MiB).
        nn.RNNBase(mode, 5, 6, 2, bidirectional: true).Dispose();
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;
        for (var i = 0; i < 20; i++) nn.RNNBase(mode, 5, 6, 2, bidirectional: true).Dispose();
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live));
    }

    [Test]
    public void Construct_InsideDisposeScope_ParametersOutliveTheScope()
    {
        RNN rnn;
        LSTM projected;
        GRUCell cell;
        using (torch.NewDisposeScope())
        {
            rnn = nn.RNN(5, 6, 2);
            projected = nn.LSTM(5, 6, proj_size: 3);
            cell = nn.GRUCell(5, 6);
        }
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(4, 3, 5);
        Assert.That(rnn.call(x).output.shape, Is.EqualTo(new long[] { 4, 3, 6 }));
        Assert.That(projected.call(x).output.shape, Is.EqualTo(new long[] { 4, 3, 3 }));
        Assert.That(cell.call(x[0]).shape, Is.EqualTo(new long[] { 3, 6 }));
        rnn.Dispose();
        projected.Dispose();
        cell.Dispose();
    }

    [Test]
    public void Forward_WithoutCallerScope_ReturnsOnlyTheResults()
    {
        using var rnn = nn.RNN(5, 6, 2);
        using var x = torch.randn(4, 3, 5);
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;
        var (output, hn) = rnn.call(x);
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live + 2), "every temporary of forward is disposed");
        output.Dispose();
        hn.Dispose();
    }
}

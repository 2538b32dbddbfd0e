using System;
using System.Collections.Generic;
using System.IO;
using NUnit.Framework;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Printing;

public class PyTests
{
    /// <summary>A module with the given children and no ToString override: printed from named_children().</summary>
    private abstract class Container : torch.nn.Module<Tensor, Tensor>
    {
        protected Container(string name, params (string Name, torch.nn.Module Module)[] children) : base(name)
        {
            foreach (var (childName, child) in children)
            {
                register_module(childName, child);
            }
        }

        public override Tensor forward(Tensor input) => input;
    }

    /// <summary>A module with its own <c>extra_repr</c>, as TorchRnn's layers have.</summary>
    private abstract class Printed(string name, string extra) : torch.nn.Module<Tensor, Tensor>(name), IExtraRepr
    {
        public override Tensor forward(Tensor input) => input;

        public string extra_repr() => extra;
    }

    /// <summary>Python: <c>class Net(torch.nn.Module)</c> with <c>self.fc = torch.nn.Linear(4, 2)</c>.</summary>
    private sealed class Net() : Container(nameof(Net), ("fc", torch.nn.Linear(4, 2)));

    /// <summary>A typical tagger: TorchRnn's LSTM among TorchSharp's common layers.</summary>
    private sealed class Tagger() : Container(nameof(Tagger),
        ("embed", torch.nn.Embedding(10, 4)), ("rnn", nn.LSTM(4, 8, 2, batch_first: true, proj_size: 3)),
        ("drop", torch.nn.Dropout(0.25)), ("norm", torch.nn.LayerNorm(3)), ("head", torch.nn.Linear(3, 2, hasBias: false)),
        ("act", torch.nn.ReLU()));

    /// <summary>Python: <c>class Outer(torch.nn.Module)</c> with <c>self.net = Net()</c>, <c>self.head = torch.nn.Linear(2, 1)</c>.</summary>
    private sealed class Outer() : Container(nameof(Outer), ("net", new Net()), ("head", torch.nn.Linear(2, 1)));

    private sealed class Holder(torch.nn.Module child) : Container(nameof(Holder), ("child", child));

    private sealed class Empty() : Container(nameof(Empty));

    private sealed class Custom() : Printed(nameof(Custom), "3, bias=False");

    private sealed class Inner() : Container(nameof(Inner));

    private sealed class MultiLine() : Container(nameof(MultiLine), ("x", new Inner()));

    /// <summary>What <paramref name="action"/> writes to Console.Out.</summary>
    private static string CaptureConsole(Action action)
    {
        var writer = new StringWriter();
        var original = Console.Out;
        Console.SetOut(writer);
        try
        {
            action();
        }
        finally
        {
            Console.SetOut(original);
        }
        return writer.ToString();
    }

    [Test]
    public void Repr_Shape_PrintsTorchSize()
    {
        using var scope = NewDisposeScope();

        Assert.That(Py.repr(zeros(1, 3, 6).shape), Is.EqualTo("torch.Size([1, 3, 6])"));
        Assert.That(Py.repr(tensor(1.0f).shape), Is.EqualTo("torch.Size([])"));
    }

    [Test]
    public void Repr_PythonConstants_PrintAsPythonDoes()
    {
        Assert.That(Py.repr(null), Is.EqualTo("None"));
        Assert.That(Py.repr(true), Is.EqualTo("True"));
        Assert.That(Py.repr(false), Is.EqualTo("False"));
        Assert.That(Py.repr(42), Is.EqualTo("42"));
        Assert.That(Py.repr(-7L), Is.EqualTo("-7"));
    }

    [TestCase(0.1, "0.1")]
    [TestCase(1.0, "1.0")]
    [TestCase(1e-05, "1e-05")]
    [TestCase(0.0001, "0.0001")]
    [TestCase(1e16, "1e+16")]
    [TestCase(1e15, "1000000000000000.0")]
    [TestCase(-0.0, "-0.0")]
    [TestCase(double.NaN, "nan")]
    [TestCase(double.PositiveInfinity, "inf")]
    public void Repr_Double_PrintsPythonFloatRepr(double value, string expected)
    {
        Assert.That(Py.repr(value), Is.EqualTo(expected));
    }

    [Test]
    public void Repr_Float_IsWidenedToDoubleFirst()
    {
        Assert.That(Py.repr(0.1f), Is.EqualTo("0.10000000149011612"));
    }

    [Test]
    public void Repr_String_IsQuotedLikePython()
    {
        Assert.That(Py.repr("a"), Is.EqualTo("'a'"));
        Assert.That(Py.repr("it's"), Is.EqualTo("\"it's\""));
        Assert.That(Py.repr("a\nb"), Is.EqualTo("'a\\nb'"));
    }

    [Test]
    public void Repr_Tuples_PrintLikePythonTuples()
    {
        Assert.That(Py.repr((1, 2.5)), Is.EqualTo("(1, 2.5)"));
        Assert.That(Py.repr(((object?)null, true, "a")), Is.EqualTo("(None, True, 'a')"));
        Assert.That(Py.repr(ValueTuple.Create(1)), Is.EqualTo("(1,)"));
    }

    // Expected strings printed by Python 3 (repr of the same values).
    [Test]
    public void Repr_ListsAndDictionaries_PrintLikePython()
    {
        Assert.That(Py.repr(new object?[] { 1, 2.5, "a", null }), Is.EqualTo("[1, 2.5, 'a', None]"));
        Assert.That(Py.repr(new System.Collections.Generic.Dictionary<string, object> { ["a"] = 1, ["b"] = 2.0 }), Is.EqualTo("{'a': 1, 'b': 2.0}"));
        Assert.That(Py.repr(new System.Collections.Generic.List<int>()), Is.EqualTo("[]"));
        Assert.That(Py.repr(new[] { (1, 2) }), Is.EqualTo("[(1, 2)]"));
        Assert.That(Py.repr(new[] { new[] { 1 }, new[] { 2, 3 } }), Is.EqualTo("[[1], [2, 3]]"));
        Assert.That(Py.repr(new long[] { 2, 3 }), Is.EqualTo("torch.Size([2, 3])"), "a long[] is a shape");
    }

    // Expected strings printed by Python 3: f"{1.7881393432617188e-06:.2e}", f"{0.125:.2f}", ...
    [TestCase(1.7881393432617188e-06, ".2e", "1.79e-06")]
    [TestCase(0.125, ".2f", "0.12")]
    [TestCase(0.8765, ".1%", "87.6%")]
    [TestCase(0.5, ".0%", "50%")]
    [TestCase(2.5, ".0f", "2")]
    [TestCase(1e-5, "", "1e-05")]
    public void Format_FloatSpecs_PrintLikePython(double value, string spec, string expected)
    {
        Assert.That(Py.format(value, spec), Is.EqualTo(expected));
    }

    // TorchRnn's own refusal, in its own words: Python formats "g" and ".2g" (and rejects ".xf" with "Format specifier
    // missing precision"); Py.format knows only the f, e and % specs the samples print with.
    [TestCase("g")]
    [TestCase(".2g")]
    [TestCase(".xf")]
    public void Format_UnsupportedSpec_Throws(string spec)
    {
        Assert.That(() => Py.format(1.0, spec), Throws.ArgumentException.With.Message.Contains("Unsupported float format spec"));
    }

    [Test]
    public void Repr_TupleOfTensors_UsesTensorRepr()
    {
        using var scope = NewDisposeScope();
        var pair = (tensor(new[] { 1.0f, 2.0f }), tensor(3L));

        Assert.That(Py.repr(pair), Is.EqualTo("(tensor([1., 2.]), tensor(3))"));
    }

    private static IEnumerable<TestCaseData> Modules()
    {
        yield return Module(() => new Net(), "Net(\n  (fc): Linear(in_features=4, out_features=2, bias=True)\n)",
            "Repr_ContainerModule_MatchesPyTorchLayoutWithTorchSharpLinear");
        yield return Module(() => new Outer(),
            "Outer(\n  (net): Net(\n    (fc): Linear(in_features=4, out_features=2, bias=True)\n  )\n  (head): Linear(in_features=2, out_features=1, bias=True)\n)",
            "Repr_NestedContainers_IndentTwoPerLevel");
        yield return Module(() => new Custom(), "Custom(3, bias=False)", "Repr_ModuleWithExtraRepr_PrintsItInParentheses");
        yield return Module(() => new Holder(new Custom()), "Holder(\n  (child): Custom(3, bias=False)\n)",
            "Repr_ChildWithExtraRepr_PrintsItInsideContainer");
        yield return Module(() => new Holder(new MultiLine()), "Holder(\n  (child): MultiLine(\n    (x): Inner()\n  )\n)",
            "Repr_MultiLineChild_IsIndentedAfterItsFirstLine");
        yield return Module(() => new Empty(), "Empty()", "Repr_ModuleWithoutChildren_PrintsEmptyParentheses");
        // Printed by PyTorch 1.13.1 for the same model in Python (Embedding, LSTM, Dropout, LayerNorm, Linear, ReLU).
        yield return Module(() => new Tagger(),
            "Tagger(\n  (embed): Embedding(10, 4)\n  (rnn): LSTM(4, 8, proj_size=3, num_layers=2, batch_first=True)\n" +
            "  (drop): Dropout(p=0.25, inplace=False)\n  (norm): LayerNorm((3,), eps=1e-05, elementwise_affine=True)\n" +
            "  (head): Linear(in_features=3, out_features=2, bias=False)\n  (act): ReLU()\n)",
            "Repr_ModelWithTorchRnnAndTorchSharpLayers_MatchesPyTorch");
    }

    private static TestCaseData Module(Func<torch.nn.Module> create, string expected, string name) =>
        new TestCaseData(create, expected).SetName(name);

    [TestCaseSource(nameof(Modules))]
    public void Repr_Module_PrintsPyTorchModuleLayout(Func<torch.nn.Module> create, string expected)
    {
        using var module = create();

        Assert.That(Py.repr(module), Is.EqualTo(expected));
    }

    [Test]
    public void Print_WritesReprsJoinedBySpaceAndNewline_ToConsoleOut()
    {
        using var scope = NewDisposeScope();

        var written = CaptureConsole(() =>
        {
            Py.print("shape:", zeros(1, 3, 6).shape, null, 0.5, true);
            Py.print(tensor(new[] { 1.5f, -2.0f }));
            Py.print();
        });

        Assert.That(written, Is.EqualTo(
            "shape: torch.Size([1, 3, 6]) None 0.5 True\ntensor([ 1.5000, -2.0000])\n\n"));
    }

    [Test]
    public void Print_TupleHoldingString_QuotesTheStringLikePython()
    {
        Assert.That(CaptureConsole(() => Py.print(("a", 1))), Is.EqualTo("('a', 1)\n"));
    }

    [Test]
    public void Repr_Parameter_OfLinear_PrintsParameterContaining()
    {
        using var scope = NewDisposeScope();
        using var linear = torch.nn.Linear(2, 1);
        var bias = linear.bias!;
        using (no_grad())
        {
            bias.copy_(tensor(new[] { 0.25f }));
        }

        Assert.That(bias, Is.InstanceOf<Parameter>());
        Assert.That(Py.repr(bias), Is.EqualTo("Parameter containing:\ntensor([0.2500], requires_grad=True)"));
    }
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Printing;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Printing;

/// <summary>One tensor from tests/fixtures/printing.json and the string PyTorch printed for it.</summary>
public sealed record PrintingCase(string Name, string Kind, string DType, long[] Shape, JsonElement[] Values, bool RequiresGrad, string Repr)
{
    public override string ToString() => Name;

    /// <summary>The same tensor rebuilt in TorchSharp: dtype, shape, exact values, requires_grad, Parameter or not.</summary>
    public Tensor Build()
    {
        var dtype = PrintingFixture.ScalarTypes[DType];
        Tensor flat = dtype switch
        {
            ScalarType.Bool => tensor(Values.Select(v => v.GetBoolean()).ToArray()),
            ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64 =>
                tensor(Values.Select(v => PrintingFixture.ParsePythonFloat(v.GetString()!)).ToArray(), ScalarType.Float64),
            _ => tensor(Values.Select(v => v.GetInt64()).ToArray(), ScalarType.Int64),
        };
        var built = flat.to_type(dtype).reshape(Shape);
        if (Kind == "parameter")
        {
            return new TorchSharp.Modules.Parameter(built, RequiresGrad);
        }
        return RequiresGrad ? built.requires_grad_(true) : built;
    }
}

/// <summary>Reads tests/fixtures/printing.json (written by tests/fixtures/generate_printing.py with real PyTorch).</summary>
public static class PrintingFixture
{
    public static readonly IReadOnlyDictionary<string, ScalarType> ScalarTypes = new Dictionary<string, ScalarType>
    {
        ["bool"] = ScalarType.Bool,
        ["uint8"] = ScalarType.Byte,
        ["int8"] = ScalarType.Int8,
        ["int16"] = ScalarType.Int16,
        ["int32"] = ScalarType.Int32,
        ["int64"] = ScalarType.Int64,
        ["float16"] = ScalarType.Float16,
        ["bfloat16"] = ScalarType.BFloat16,
        ["float32"] = ScalarType.Float32,
        ["float64"] = ScalarType.Float64,
    };

    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "printing.json"))));

    public static IEnumerable<PrintingCase> Cases() =>
        Document.Value.RootElement.GetProperty("cases").EnumerateArray().Select(c => new PrintingCase(
            c.GetProperty("name").GetString()!,
            c.GetProperty("kind").GetString()!,
            c.GetProperty("dtype").GetString()!,
            c.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
            c.GetProperty("values").EnumerateArray().ToArray(),
            c.GetProperty("requires_grad").GetBoolean(),
            c.GetProperty("repr").GetString()!));

    /// <summary>A Python float repr back to the same double ("inf" and "-inf" are spelled differently in .NET).</summary>
    public static double ParsePythonFloat(string text) => text switch
    {
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        "nan" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    public static PrintingCase Case(string name) => Cases().Single(c => c.Name == name);

    /// <summary>Python's own formats of single doubles: value (also its repr), fixed4, fixed2, fixed0, sci4.</summary>
    public static IEnumerable<JsonElement> Numbers() =>
        Document.Value.RootElement.GetProperty("numbers").EnumerateArray().Select(n => n.Clone());
}

public class TensorFormatterTests
{
    private static IEnumerable<TestCaseData> FixtureCases() =>
        PrintingFixture.Cases().Select(c => new TestCaseData(c).SetName("Repr_" + c.Name + "_MatchesPyTorch"));

    private static IEnumerable<TestCaseData> Numbers() =>
        PrintingFixture.Numbers().Select(n => new TestCaseData(n).SetArgDisplayNames(n.GetProperty("value").GetString()!));

    private static string ReprOf(string caseName)
    {
        using var scope = NewDisposeScope();
        return Py.repr(PrintingFixture.Case(caseName).Build());
    }

    [TestCaseSource(nameof(FixtureCases))]
    public void Repr_FixtureTensor_MatchesPyTorch(PrintingCase printingCase)
    {
        using var scope = NewDisposeScope();
        var built = printingCase.Build();

        Assert.That(Py.repr(built), Is.EqualTo(printingCase.Repr));
    }

    [Test]
    public void Fixture_HasAtLeastFortyCases_WithUniqueNames()
    {
        var names = PrintingFixture.Cases().Select(c => c.Name).ToList();

        Assert.That(names, Has.Count.GreaterThanOrEqualTo(40));
        Assert.That(names, Is.Unique);
    }

    [Test]
    public void Repr_SummarisedMatrix_MatchesPyTorch()
    {
        var expected = PrintingFixture.Case("summarised_matrix_40x40").Repr;

        Assert.That(ReprOf("summarised_matrix_40x40"), Is.EqualTo(expected));
        Assert.That(expected, Does.Contain("        ...,\n"));
    }

    [Test]
    public void Repr_SummarisedTensor_WidthComesFromShownElementsOnly()
    {
        // 1000 hidden values of 123456.75 would widen every element to 11 characters if they were counted.
        Assert.That(ReprOf("summarised_hidden_values_do_not_widen"),
            Is.EqualTo("tensor([0.5000, 0.5000, 0.5000,  ..., 2.5000, 2.5000, 2.5000])"));
    }

    [Test]
    public void Repr_RoundingTies_RoundExactBinaryValueHalfToEven()
    {
        Assert.That(ReprOf("ties_fixed_exact_binary"),
            Is.EqualTo("tensor([ 0.0312,  0.2812,  1.6562,  0.5000,  2.5000, -0.4062])"));
    }

    [Test]
    public void Repr_SuffixPastColumn80_GoesOnItsOwnLine()
    {
        Assert.That(ReprOf("suffix_wraps_second_suffix"), Is.EqualTo(
            "tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000], dtype=torch.float64,\n       requires_grad=True)"));
    }

    [Test]
    public void Repr_ZeroDimensional_PrintsScalarWithoutBrackets()
    {
        using var scope = NewDisposeScope();

        Assert.That(Py.repr(tensor(3.5f)), Is.EqualTo("tensor(3.5000)"));
        Assert.That(Py.repr(tensor(7L)), Is.EqualTo("tensor(7)"));
        Assert.That(Py.repr(tensor(0.1)), Is.EqualTo("tensor(0.1000, dtype=torch.float64)"));
    }

    [Test]
    public void Repr_EmptyTensors_ShowSizeAndDtypeAsPyTorchDoes()
    {
        using var scope = NewDisposeScope();

        Assert.That(Py.repr(empty(0)), Is.EqualTo("tensor([])"));
        Assert.That(Py.repr(empty(2, 0, 4)), Is.EqualTo("tensor([], size=(2, 0, 4))"));
        Assert.That(Py.repr(empty(0, ScalarType.Int64)), Is.EqualTo("tensor([], dtype=torch.int64)"));
        Assert.That(Py.repr(empty(0, ScalarType.Int32)), Is.EqualTo("tensor([], dtype=torch.int32)"));
    }

    [Test]
    public void Repr_NonLeafThatRequiresGrad_PrintsNoGradFnSuffix()
    {
        // PyTorch prints "tensor([2., 4.], grad_fn=<MulBackward0>)"; TorchSharp cannot name the node, so no suffix.
        using var scope = NewDisposeScope();
        var leaf = tensor(new[] { 1.0f, 2.0f }).requires_grad_(true);

        Assert.That(Py.repr(leaf), Is.EqualTo("tensor([1., 2.], requires_grad=True)"));
        Assert.That(Py.repr(leaf * 2), Is.EqualTo("tensor([2., 4.])"));
    }

    [Test]
    public void Repr_Parameter_StartsWithParameterContaining()
    {
        using var scope = NewDisposeScope();
        var parameter = new TorchSharp.Modules.Parameter(tensor(new[] { 1.0f, 2.5f }));

        Assert.That(Py.repr(parameter), Is.EqualTo("Parameter containing:\ntensor([1.0000, 2.5000], requires_grad=True)"));
    }

    [Test]
    public void Repr_Float32Values_AreWidenedExactlyBeforeRounding()
    {
        using var scope = NewDisposeScope();
        // 2.00015f is 2.00014996...: 2.0001, while the double 2.00015 (2.000150000000000005...) gives 2.0002.
        Assert.That(Py.repr(tensor(new[] { 2.00015f, 0.5f })), Is.EqualTo("tensor([2.0001, 0.5000])"));
        Assert.That(Py.repr(tensor(new[] { 2.00015, 0.5 })), Is.EqualTo("tensor([2.0002, 0.5000], dtype=torch.float64)"));
    }

    [Test]
    public void Repr_OnGpu_AddsDeviceSuffix()
    {
        Assume.That(cuda.is_available(), "no CUDA device");
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0f, 2.0f }).cuda();

        Assert.That(Py.repr(x), Is.EqualTo("tensor([1., 2.], device='cuda:0')"));
        Assert.That(Py.repr(x.to_type(ScalarType.Float64)), Is.EqualTo("tensor([1., 2.], device='cuda:0', dtype=torch.float64)"));
    }

    [Test]
    public void Format_LeavesNoNativeTensorsBehind()
    {
        using var scope = NewDisposeScope();
        var x = randn(40, 40);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        _ = Py.repr(x);
        _ = Py.repr(x.to_type(ScalarType.Float64));

        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before + 1));
    }

    [Test]
    public void Format_ComplexTensor_ThrowsNotSupported()
    {
        using var scope = NewDisposeScope();
        var z = complex(tensor(new[] { 1.0f }), tensor(new[] { 2.0f }));

        Assert.That(() => Py.repr(z), Throws.TypeOf<NotSupportedException>());
    }

    [TestCaseSource(nameof(Numbers))]
    public void PythonFloat_Formats_MatchPython(JsonElement number)
    {
        var value = PrintingFixture.ParsePythonFloat(number.GetProperty("value").GetString()!);

        Assert.Multiple(() =>
        {
            Assert.That(PythonFloat.Fixed(value, 4), Is.EqualTo(number.GetProperty("fixed4").GetString()), "{:.4f}");
            Assert.That(PythonFloat.Fixed(value, 2), Is.EqualTo(number.GetProperty("fixed2").GetString()), "{:.2f}");
            Assert.That(PythonFloat.Fixed(value, 0), Is.EqualTo(number.GetProperty("fixed0").GetString()), "{:.0f}");
            Assert.That(PythonFloat.Scientific(value, 4), Is.EqualTo(number.GetProperty("sci4").GetString()), "{:.4e}");
            Assert.That(PythonFloat.Repr(value), Is.EqualTo(number.GetProperty("value").GetString()), "repr");
        });
    }

    [TestCase(0.125, 2, "0.12")]
    [TestCase(0.375, 2, "0.38")]
    [TestCase(2.5, 0, "2")]
    [TestCase(3.5, 0, "4")]
    [TestCase(-0.5, 0, "-0")]
    [TestCase(-0.00001, 4, "-0.0000")]
    [TestCase(double.NaN, 4, "nan")]
    [TestCase(double.NegativeInfinity, 4, "-inf")]
    public void PythonFloat_Fixed_RoundsHalfToEvenLikePython(double value, int digits, string expected)
    {
        Assert.That(PythonFloat.Fixed(value, digits), Is.EqualTo(expected));
    }

    [TestCase(0.00005, "5.0000e-05")]
    [TestCase(1.5e-5, "1.5000e-05")]
    [TestCase(9.99995e-5, "9.9999e-05")]
    [TestCase(9.99996e-5, "1.0000e-04")]
    [TestCase(1e-300, "1.0000e-300")]
    [TestCase(0.0, "0.0000e+00")]
    public void PythonFloat_Scientific_MatchesPython(double value, string expected)
    {
        Assert.That(PythonFloat.Scientific(value, 4), Is.EqualTo(expected));
    }

    [Test]
    public void AddSuffixes_CountsLastLineAsPyTorchDoes()
    {
        // PyTorch counts a 65-character last line as 67 (len - rfind('\n') + 1, rfind giving -1): 67 + 2 + 11 = 80 fits.
        var fits = "tensor(" + new string('x', 58);
        var wraps = "tensor(" + new string('x', 59);

        Assert.That(TensorFormatter.AddSuffixes(fits, new[] { "abcdefghijk" }, 7), Is.EqualTo(fits + ", abcdefghijk)"));
        Assert.That(TensorFormatter.AddSuffixes(wraps, new[] { "abcdefghijk" }, 7), Is.EqualTo(wraps + ",\n       abcdefghijk)"));
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Robustness;

/// <summary>
/// NaN and infinity in inputs and states propagate as in PyTorch: no exception, and the same positions hold nan,
/// inf and -inf, with the finite values equal (tests/fixtures/nonfinite.json, made by generate_nonfinite.py).
/// </summary>
public class NonFiniteTests
{
    public sealed class Case
    {
        private readonly JsonElement _e;

        internal Case(JsonElement e) => _e = e;

        public string Name => _e.GetProperty("name").GetString()!;
        private string Module => _e.GetProperty("module").GetString()!;
        private long Int(string name, long fallback) => _e.TryGetProperty(name, out var v) ? v.GetInt64() : fallback;
        private bool Flag(string name) => _e.TryGetProperty(name, out var v) && v.GetBoolean();
        public ScalarType DType => _e.TryGetProperty("dtype", out var v) && v.GetString() == "float64" ? ScalarType.Float64 : ScalarType.Float32;

        public ModuleConfig Config => new(Enum.Parse<ModuleKind>(Module),
            _e.TryGetProperty("nonlinearity", out var n) ? n.GetString()! : "tanh",
            Int("input_size", 0), Int("hidden_size", 0), Int("num_layers", 1), !_e.TryGetProperty("bias", out var b) || b.GetBoolean(),
            Flag("batch_first"), Flag("bidirectional"), Int("proj_size", 0));

        public IEnumerable<(string Name, Tensor Value)> Parameters(ScalarType dtype)
            => _e.GetProperty("params").EnumerateObject().Select(p => (p.Name, Read(p.Value, dtype)!));

        public Tensor Input => Read(_e.GetProperty("input"), DType)!;
        public Tensor[] States => _e.GetProperty("hx").ValueKind == JsonValueKind.Null
            ? []
            : _e.GetProperty("hx").EnumerateArray().Select(s => Read(s, DType)!).ToArray();
        public Tensor? Expected(string name) => Read(_e.GetProperty(name), DType);

        public override string ToString() => Name;

        private static Tensor? Read(JsonElement e, ScalarType dtype)
        {
            if (e.ValueKind == JsonValueKind.Null) return null;
            var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var values = e.GetProperty("values").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String
                ? v.GetString() switch
                {
                    "nan" => double.NaN,
                    "inf" => double.PositiveInfinity,
                    "-inf" => double.NegativeInfinity,
                    var s => throw new FormatException(s),
                }
                : v.GetDouble()).ToArray();
            return torch.tensor(values, shape, ScalarType.Float64).to_type(dtype);
        }
    }

    private static readonly Lazy<IReadOnlyList<Case>> Cases = new(() =>
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "nonfinite.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(e => new Case(e.Clone())).ToList();
    });

    public static IEnumerable<Case> All() => Cases.Value;

    [TestCaseSource(nameof(All))]
    public void Forward_NonFiniteInput_PropagatesAsInPyTorch(Case c)
    {
        using var scope = torch.NewDisposeScope();
        using var module = c.Config.Build(c.DType);
        using (torch.no_grad())
        {
            var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, value) in c.Parameters(c.DType)) parameters[name].copy_(value);
        }
        module.eval();
        using var noGrad = torch.no_grad();
        var (output, hn, cn) = ModuleRunner.Forward(module, c.Input, c.States);
        Same(output, c.Expected("output")!, c.DType, "output");
        Assert.That(hn is null, Is.EqualTo(c.Expected("h_n") is null), "h_n returned");
        Assert.That(cn is null, Is.EqualTo(c.Expected("c_n") is null), "c_n returned");
        if (hn is not null) Same(hn, c.Expected("h_n")!, c.DType, "h_n");
        if (cn is not null) Same(cn, c.Expected("c_n")!, c.DType, "c_n");
    }

    [Test]
    public void Fixture_EveryCaseFeedsNonFiniteValues()
    {
        // Guards the fixture itself: each case puts nan or inf into the input or a state.
        foreach (var c in All())
        {
            using var scope = torch.NewDisposeScope();
            var fed = new[] { c.Input }.Concat(c.States);
            Assert.That(fed.Any(t => !t.isfinite().all().item<bool>()), Is.True, c.Name);
        }
    }

    private static void Same(Tensor actual, Tensor expected, ScalarType dtype, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), what + ": shape");
        var a = Expect.Values(actual);
        var e = Expect.Values(expected);
        int[] Where(double[] v, Func<double, bool> p) => Enumerable.Range(0, v.Length).Where(i => p(v[i])).ToArray();
        Assert.That(Where(a, double.IsNaN), Is.EqualTo(Where(e, double.IsNaN)), what + ": positions of nan");
        Assert.That(Where(a, double.IsPositiveInfinity), Is.EqualTo(Where(e, double.IsPositiveInfinity)), what + ": positions of inf");
        Assert.That(Where(a, double.IsNegativeInfinity), Is.EqualTo(Where(e, double.IsNegativeInfinity)), what + ": positions of -inf");
        var finite = Where(e, double.IsFinite);
        Expect.Close(finite.Select(i => a[i]).ToArray(), finite.Select(i => e[i]).ToArray(),
            dtype == ScalarType.Float64 ? 1e-10 : 1e-5, what + ": finite values");
    }
}

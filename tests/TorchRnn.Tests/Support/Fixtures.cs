using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Support;

/// <summary>A tensor as tests/fixtures/generate.py records it: shape and flat values (exact Python float reprs).</summary>
public sealed record RecordedTensor(long[] Shape, double[] Values)
{
    public Tensor ToTensor(ScalarType dtype, Device device, bool requiresGrad = false)
    {
        using var scope = torch.NewDisposeScope();
        var t = dtype == ScalarType.Float64
            ? torch.tensor(Values, Shape, ScalarType.Float64)
            : torch.tensor(Values.Select(v => (float)v).ToArray(), Shape, ScalarType.Float32);
        t = t.to(device);
        if (requiresGrad) t = t.requires_grad_();
        return t.MoveToOuterDisposeScope();
    }

    internal static RecordedTensor? From(JsonElement e) => e.ValueKind == JsonValueKind.Null
        ? null
        : new RecordedTensor(
            e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(),
            Doubles(e.GetProperty("values")));

    internal static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
}

/// <summary>One module case made by real PyTorch (tests/fixtures/generate.py, rnn.json).</summary>
public sealed class ModuleCase
{
    private readonly JsonElement _e;

    internal ModuleCase(JsonElement e) => _e = e;

    public string Name => _e.GetProperty("name").GetString()!;
    public string Module => _e.GetProperty("module").GetString()!;
    public int Seed => _e.GetProperty("seed").GetInt32();
    public long InputSize => _e.GetProperty("input_size").GetInt64();
    public long HiddenSize => _e.GetProperty("hidden_size").GetInt64();
    public long NumLayers => Get("num_layers", e => e.GetInt64(), 1L);
    public string Nonlinearity => Get("nonlinearity", e => e.GetString()!, "tanh");
    public bool Bias => Get("bias", e => e.GetBoolean(), true);
    public bool BatchFirst => Get("batch_first", e => e.GetBoolean(), false);
    public double Dropout => Get("dropout", e => e.GetDouble(), 0.0);
    public bool Bidirectional => Get("bidirectional", e => e.GetBoolean(), false);
    public bool Train => Get("train", e => e.GetBoolean(), false);
    public ScalarType DType => Get("dtype", e => e.GetString()!, "float32") == "float64" ? ScalarType.Float64 : ScalarType.Float32;
    public string Repr => _e.GetProperty("repr").GetString()!;

    /// <summary>Whether the result depends on random draws during forward (dropout in training).</summary>
    public bool DrawsInForward => Train && Dropout > 0;

    public IReadOnlyList<(string Name, RecordedTensor Value)> Parameters =>
        _e.GetProperty("params").EnumerateObject().Select(p => (p.Name, RecordedTensor.From(p.Value)!)).ToList();

    public RecordedTensor Input => RecordedTensor.From(_e.GetProperty("input"))!;
    /// <summary>For a packed case: the sequences' lengths in the padded input, and whether they come sorted.</summary>
    public long[]? Lengths => _e.TryGetProperty("lengths", out var v) ? v.EnumerateArray().Select(x => x.GetInt64()).ToArray() : null;
    public bool EnforceSorted => Get("enforce_sorted", e => e.GetBoolean(), true);

    public long ProjSize => Get("proj_size", e => e.GetInt64(), 0L);

    /// <summary>The initial states given to forward: none, (hx), or LSTM's (h_0, c_0).</summary>
    public IReadOnlyList<RecordedTensor> Hx => List("hx", e => RecordedTensor.From(e)!);
    public RecordedTensor Output => RecordedTensor.From(_e.GetProperty("output"))!;
    public RecordedTensor? HN => RecordedTensor.From(_e.GetProperty("h_n"));
    public RecordedTensor? CN => RecordedTensor.From(_e.GetProperty("c_n"));
    public IReadOnlyDictionary<string, double[]> Grads =>
        _e.GetProperty("grads").EnumerateObject().ToDictionary(p => p.Name, p => RecordedTensor.Doubles(p.Value));
    public double[] InputGrad => RecordedTensor.Doubles(_e.GetProperty("input_grad"));
    public IReadOnlyList<double[]> HxGrad => List("hx_grad", RecordedTensor.Doubles);
    public double[] NextRandn => RecordedTensor.Doubles(_e.GetProperty("next_randn"));

    /// <summary>modules.json's attributes: PyTorch's value of each attribute the module has (<c>mode</c>, <c>bias</c>, ...).</summary>
    public IReadOnlyDictionary<string, JsonElement> Attributes =>
        _e.GetProperty("attributes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());

    /// <summary>modules.json's six_steps: a field recorded as a tensor (<c>h</c>, <c>c</c>), or null.</summary>
    public RecordedTensor? Recorded(string name) => RecordedTensor.From(_e.GetProperty(name));

    /// <summary>Float32 results agree with PyTorch to 1e-5; float64 ones far closer.</summary>
    public double Tolerance => DType == ScalarType.Float64 ? 1e-10 : 1e-5;

    public override string ToString() => Name;

    private IReadOnlyList<T> List<T>(string name, Func<JsonElement, T> read)
        => _e.GetProperty(name).ValueKind == JsonValueKind.Null ? [] : _e.GetProperty(name).EnumerateArray().Select(read).ToList();

    private T Get<T>(string name, Func<JsonElement, T> read, T fallback)
        => _e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? read(v) : fallback;
}

public static class Fixtures
{
    private static readonly Lazy<IReadOnlyList<ModuleCase>> Cases = new(() =>
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "rnn.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(e => new ModuleCase(e.Clone())).ToList();
    });

    public static IEnumerable<ModuleCase> All() => Cases.Value;

    private static readonly Lazy<JsonDocument> ModulesDocument = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "modules.json"))));

    /// <summary>A section of tests/fixtures/modules.json (generate_modules.py): attributes, six_steps or to_float64.</summary>
    public static IEnumerable<ModuleCase> Modules(string section)
        => ModulesDocument.Value.RootElement.GetProperty(section).EnumerateArray().Select(e => new ModuleCase(e.Clone()));
}

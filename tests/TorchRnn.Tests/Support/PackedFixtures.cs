using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Support;

/// <summary>One case of tests/fixtures/packed.json (made by real PyTorch with generate_packed.py).</summary>
public sealed class PackedCase
{
    private readonly JsonElement _e;

    internal PackedCase(JsonElement e) => _e = e;

    public string Name => _e.GetProperty("name").GetString()!;

    public bool Has(string name) => _e.TryGetProperty(name, out _);

    public bool Flag(string name) => _e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    public double Number(string name) => _e.GetProperty(name).GetDouble();

    public long? OptionalLong(string name) => _e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : _e.GetProperty(name).GetInt64();

    public string Text(string name) => _e.GetProperty(name).GetString()!;

    public long[] Longs(string name) => _e.GetProperty(name).EnumerateArray().Select(x => x.GetInt64()).ToArray();

    /// <summary>A recorded tensor (null when PyTorch had None), with its dtype, on <paramref name="device"/>.</summary>
    public Tensor? Tensor(string name, Device device, bool requiresGrad = false) => Load(_e.GetProperty(name), device, requiresGrad);

    public RecordedTensor? Recorded(string name) => RecordedTensor.From(_e.GetProperty(name));

    /// <summary>A field of the recorded PackedSequence (<c>packed.data</c>, ...).</summary>
    public RecordedTensor? Packed(string field) => RecordedTensor.From(_e.GetProperty("packed").GetProperty(field));

    public IReadOnlyList<RecordedTensor> RecordedList(string name)
        => _e.GetProperty(name).EnumerateArray().Select(x => RecordedTensor.From(x)!).ToList();

    public List<Tensor> Tensors(string name, Device device, bool requiresGrad = false)
        => _e.GetProperty(name).EnumerateArray().Select(x => Load(x, device, requiresGrad)!).ToList();

    public override string ToString() => Name;

    private static Tensor? Load(JsonElement e, Device device, bool requiresGrad)
    {
        if (e.ValueKind == JsonValueKind.Null) return null;
        var recorded = RecordedTensor.From(e)!;
        var dtype = e.GetProperty("dtype").GetString();
        if (dtype == "int64")
        {
            using var scope = torch.NewDisposeScope();
            return torch.tensor(recorded.Values.Select(v => (long)v).ToArray(), recorded.Shape).to(device).MoveToOuterDisposeScope();
        }
        return recorded.ToTensor(dtype == "float64" ? ScalarType.Float64 : ScalarType.Float32, device, requiresGrad);
    }
}

public static class PackedFixtures
{
    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "packed.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    });

    /// <summary>The cases of one function: pack_padded, pad_packed, pad_sequence, pack_sequence, unpad_sequence.</summary>
    public static IEnumerable<PackedCase> Of(string function)
        => Root.Value.GetProperty(function).EnumerateArray().Select(e => new PackedCase(e)).ToList();

    /// <summary>Every case of <paramref name="function"/> on every available device.</summary>
    public static IEnumerable<TestCaseData> OnEveryDevice(string function)
        => from c in Of(function)
           from d in Devices.Names()
           select new TestCaseData(c, d).SetArgDisplayNames(c.Name, d);
}

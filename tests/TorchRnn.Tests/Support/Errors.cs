using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;

namespace TorchRnn.Tests.Support;

/// <summary>
/// One case of tests/fixtures/errors.json (generate_errors.py, PyTorch 1.13.1): what PyTorch raised for a bad call,
/// and the message TorchRnn raises for it, with the wording that message holds (<see cref="Holds"/>).
/// </summary>
/// <param name="Name">The case's name, shared by the C# test and the Python call.</param>
/// <param name="PyTorchType">The class of PyTorch 1.13's exception, or null when PyTorch accepts the call.</param>
/// <param name="PyTorchMessage">PyTorch 1.13's <c>str(e)</c>, or null when PyTorch accepts the call.</param>
/// <param name="Holds">
/// <c>pytorch</c> (PyTorch 1.13's message, which 2.x keeps), <c>pytorch-2.x</c> (2.x's wording where 1.13's differs,
/// see <see cref="Source"/>), <c>pytorch+hint</c> (1.13's message and TorchRnn's batch_first hint),
/// <c>pytorch-2.x+hint</c> (2.x's wording and TorchRnn's dtype hint) or <c>torchrnn</c> (TorchRnn's own, see
/// <see cref="Note"/>).
/// </param>
/// <param name="Message">The message TorchRnn raises.</param>
/// <param name="Source">For <c>pytorch-2.x</c>: the PyTorch 2.x code whose wording TorchRnn holds.</param>
/// <param name="Note">For <c>torchrnn</c> and the hints: why TorchRnn says something PyTorch does not.</param>
/// <param name="RecordedDevice">
/// Set when PyTorch ran the call with a tensor on this device (<c>meta</c>) in place of CUDA, which Debian's build lacks.
/// </param>
public sealed record ErrorCase(string Name, string? PyTorchType, string? PyTorchMessage, string Holds, string Message,
    string? Source, string? Note, string? RecordedDevice)
{
    public override string ToString() => Name;

    /// <summary>The message for a call made on <paramref name="device"/> where PyTorch's was made on the recorded device.</summary>
    public string MessageOn(string device)
        => RecordedDevice is null ? throw new InvalidOperationException($"{Name} was recorded on no stand-in device") : Message.Replace(RecordedDevice, device);

    /// <summary>What the failure of a test on this case should tell a reader: the wording it holds and why.</summary>
    public string Why => Holds switch
    {
        "pytorch" => $"{Name}: PyTorch 1.13's message",
        "pytorch-2.x" => $"{Name}: PyTorch 2.x's wording ({Source}); PyTorch 1.13 says {Quote(PyTorchMessage)}",
        "pytorch+hint" => $"{Name}: PyTorch 1.13's message and TorchRnn's hint ({Note})",
        "pytorch-2.x+hint" => $"{Name}: PyTorch 2.x's wording ({Source}) and TorchRnn's hint ({Note}); PyTorch 1.13 says {Quote(PyTorchMessage)}",
        _ => $"{Name}: TorchRnn's own wording ({Note}); PyTorch 1.13 {(PyTorchMessage is null ? "accepts the call" : "says " + Quote(PyTorchMessage))}",
    };

    private static string Quote(string? s) => s is null ? "nothing" : "\"" + s + "\"";
}

/// <summary>The messages of tests/fixtures/errors.json, and the assertion every message test makes with them.</summary>
public static class Errors
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "errors.json"))));

    private static readonly Lazy<IReadOnlyDictionary<string, ErrorCase>> Cases = new(() =>
        Document.Value.RootElement.GetProperty("cases").EnumerateObject().ToDictionary(p => p.Name, p => Read(p.Name, p.Value)));

    public static ErrorCase Case(string name)
        => Cases.Value.TryGetValue(name, out var c) ? c : throw new KeyNotFoundException($"tests/fixtures/errors.json has no case '{name}': add it to generate_errors.py");

    public static IEnumerable<ErrorCase> All() => Cases.Value.Values;

    /// <summary>PyTorch's warning <paramref name="name"/>: its category (<c>UserWarning</c>) and message.</summary>
    public static (string Category, string Message) Warning(string name)
    {
        var w = Document.Value.RootElement.GetProperty("warnings").GetProperty(name);
        return (w.GetProperty("category").GetString()!, w.GetProperty("message").GetString()!);
    }

    /// <summary>
    /// PyTorch's load_state_dict for CheckpointTests' mismatch <paramref name="name"/>: its error message (null when it
    /// loads), and the missing keys, unexpected keys and size mismatches (key, checkpoint shape, model shape) it names.
    /// </summary>
    public static (string? Message, string[] Missing, string[] Unexpected, (string Key, long[] File, long[] Model)[] SizeMismatches)
        Checkpoint(string name)
    {
        var c = Document.Value.RootElement.GetProperty("checkpoints").GetProperty(name);
        string[] Keys(string property) => c.GetProperty(property).EnumerateArray().Select(k => k.GetString()!).ToArray();
        long[] Shape(JsonElement e) => e.EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var pytorch = c.GetProperty("pytorch");
        return (pytorch.ValueKind == JsonValueKind.Null ? null : pytorch.GetProperty("message").GetString(), Keys("missing_keys"),
            Keys("unexpected_keys"),
            c.GetProperty("size_mismatches").EnumerateArray().Select(m => (m[0].GetString()!, Shape(m[1]), Shape(m[2]))).ToArray());
    }

    /// <summary>Asserts that <paramref name="error"/> says exactly the message of case <paramref name="name"/>.</summary>
    public static void Expect(string name, Exception error) => Expect(Case(name), error, Case(name).Message);

    /// <summary>
    /// Asserts that <paramref name="error"/>'s message is exactly <paramref name="message"/>, apart from what .NET adds
    /// to an argument exception's message (<c> (Parameter 'hx')</c>, an out-of-range exception's actual value).
    /// </summary>
    public static void Expect(ErrorCase c, Exception error, string message)
        => Assert.That(error.Message, Is.EqualTo(AsDotNetSays(error, message)), c.Why);

    /// <summary>The message .NET reports for an exception like <paramref name="error"/> made with <paramref name="text"/>.</summary>
    private static string AsDotNetSays(Exception error, string text) => error switch
    {
        ArgumentOutOfRangeException o => new ArgumentOutOfRangeException(o.ParamName, o.ActualValue, text).Message,
        ArgumentNullException n => new ArgumentNullException(n.ParamName, text).Message,
        ArgumentException a => new ArgumentException(text, a.ParamName).Message,
        _ => text,
    };

    private static ErrorCase Read(string name, JsonElement e)
    {
        string? Text(JsonElement parent, string property)
            => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()
                : null;
        var pytorch = e.GetProperty("pytorch");
        return new ErrorCase(name, Text(pytorch, "type"), Text(pytorch, "message"), Text(e, "holds")!, Text(e, "message")!,
            Text(e, "source"), Text(e, "note"), Text(e, "recorded_device"));
    }
}

using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;

namespace TorchRnn.Tests.Ports;

/// <summary>tests/fixtures/ports.json, written by generate_ports.py under PyTorch 1.13.1.</summary>
internal static class PortFixtures
{
    internal static JsonElement Load(string name)
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "ports.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty(name).Clone();
    }

    internal static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();
}

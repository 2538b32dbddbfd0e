using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;

namespace TorchRnn.Tests.Support;

/// <summary>A JSON fixture file of tests/fixtures (copied beside the tests), read once by the class that uses it.</summary>
public static class JsonFixture
{
    /// <summary>The whole document's root.</summary>
    public static JsonElement Root(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", file)));
        return doc.RootElement.Clone();
    }

    /// <summary>The cases of one section, an array at the root.</summary>
    public static JsonElement[] Cases(string file, string section) => Root(file).GetProperty(section).EnumerateArray().ToArray();
}

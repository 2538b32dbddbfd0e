using System;
using System.IO;
using System.Linq;
using NUnit.Framework;

namespace TorchRnn.Tests.Ports;

/// <summary>The README's porting code is code this project compiles: the table, the tagger and the LBFGS step.</summary>
public class PortingTableTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../.."));

    [Test]
    public void ReadmeTable_IsTheCompiledRows()
    {
        var source = File.ReadAllLines(Path.Combine(Root, "tests/TorchRnn.Tests/Ports/PortingTable.cs"));
        var rows = source
            .Select((line, i) => (Line: line.Trim(), Index: i))
            .Where(l => l.Line.StartsWith("// py: ", StringComparison.Ordinal))
            .Select(l => $"| `{l.Line["// py: ".Length..]}` | `{source[l.Index + 1].Trim()}` |")
            .ToArray();
        var readme = File.ReadAllLines(Path.Combine(Root, "README.md"));
        var header = Array.IndexOf(readme, "| PyTorch | C# |");

        Assert.That(header, Is.GreaterThan(0), "the README has the table");
        Assert.That(readme.Skip(header + 2).TakeWhile(l => l.StartsWith('|')), Is.EqualTo(rows));
    }

    [TestCase("Issue 16's tagger", "tests/TorchRnn.Tests/Ports/Tagger.cs")]
    [TestCase("An LBFGS closure returns its loss", "tests/TorchRnn.Tests/Ports/LbfgsTests.cs")]
    public void ReadmeSnippet_IsTheCompiledCode(string after, string file)
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var section = readme[readme.IndexOf(after, StringComparison.Ordinal)..];
        var start = section.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        var snippet = Code(section[start..section.IndexOf("```\n", start, StringComparison.Ordinal)]);

        Assert.That(Code(File.ReadAllText(Path.Combine(Root, file))), Does.Contain(snippet));
    }

    // Non-empty lines, trimmed, without XML doc comments: indentation and docs may differ, the code may not.
    private static string Code(string text) => string.Join('\n', text.Split('\n').Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith("///", StringComparison.Ordinal)));
}

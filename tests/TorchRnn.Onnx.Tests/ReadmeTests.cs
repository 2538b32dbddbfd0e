using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace TorchRnn.Onnx.Tests;

/// <summary>The README's "Deploy with ONNX Runtime" code is code that runs: every line of its C# blocks stands in the
/// sample or the test it was copied from (both run by this project's tests).</summary>
[TestFixture]
public class ReadmeTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../.."));

    [Test]
    public void Readme_DeployWithOnnxRuntime_CodeIsCopiedFromCodeThatRuns()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var start = readme.IndexOf("## Deploy with ONNX Runtime", System.StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0));
        var end = readme.IndexOf("\n## ", start + 1, System.StringComparison.Ordinal);
        var section = readme[start..end];
        var sources = string.Join("\n", new[]
        {
            "samples/DeployOnnx/Program.cs", "samples/DeployOnnx/SineModel.cs", "tests/TorchRnn.Onnx.Tests/ModelExportTests.cs",
            "samples/StreamOnnx/Program.cs", "samples/QuantizeOnnx/Program.cs", "samples/ForecastMlNet/MlNetForecast.cs",
        }.Select(p => File.ReadAllText(Path.Combine(Root, p))));
        var lines = Regex.Matches(section, "```csharp\n(.*?)```", RegexOptions.Singleline)
            .SelectMany(m => m.Groups[1].Value.Split('\n')).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        Assert.That(lines, Has.Count.GreaterThan(10));
        Assert.That(lines.Where(l => !sources.Contains(l)), Is.Empty, "README lines found in no sample or test");
        // The inline export call too.
        Assert.That(sources, Does.Contain("onnx.export(model, torch.randint(0, 10, [2, 6]), path, forward: model.Forward)"));
        Assert.That(section, Does.Contain("onnx.export(model, torch.randint(0, 10, [2, 6]), path, forward: model.Forward)"));
    }
}

using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using NUnit.Framework;
using TorchRnn.Generators;
using TorchSharp;

namespace TorchRnn.Tests.Build;

/// <summary>
/// Issue 26: the usings trap. With <c>using static TorchSharp.torch;</c> at the top and <c>using TorchRnn;</c> inside a
/// namespace block, top-level statements bind <c>nn.LSTMCell</c> and <c>optim.LBFGS</c> to TorchSharp's silently;
/// TORCHRNN001 makes that loud, and stays quiet for the README's usings.
/// </summary>
public class TorchSharpTwinAnalyzerTests
{
    [Test]
    public void TopLevelStatements_InnerUsingDoesNotReach_ReportsEachTorchSharpTwin()
    {
        const string source = """
            using TorchSharp;
            using static TorchSharp.torch;

            var cell = nn.LSTMCell(4, 8);
            var optimizer = optim.LBFGS(cell.parameters());
            var linear = nn.Linear(8, 1);

            namespace App
            {
                using TorchRnn;
            }
            """;

        var reported = Run(source);

        Assert.That(reported.Select(d => d.Id), Is.EqualTo(new[] { TorchSharpTwinAnalyzer.Id, TorchSharpTwinAnalyzer.Id }));
        Assert.That(reported[0].GetMessage(), Does.StartWith("'torch.nn.LSTMCell' is TorchSharp's, not TorchRnn's nn.LSTMCell"));
        Assert.That(reported[1].GetMessage(), Does.StartWith("'torch.optim.LBFGS' is TorchSharp's, not TorchRnn's optim.LBFGS"));
    }

    [Test]
    public void ReadmeUsings_InsideANamespace_ReportNothing()
    {
        const string source = """
            using TorchSharp;
            using static TorchSharp.torch;

            namespace App;

            using TorchRnn;

            static class Program
            {
                static void Main()
                {
                    var cell = nn.LSTMCell(4, 8);
                    var optimizer = optim.LBFGS(cell.parameters());
                    var packed = nn.utils.rnn.pack_sequence([torch.ones(2, 4)]);
                    var linear = nn.Linear(8, 1);
                }
            }
            """;

        Assert.That(Run(source), Is.Empty);
    }

    [Test]
    public void TorchSharpsPackingByName_IsReported()
    {
        const string source = """
            using TorchSharp;

            static class Program
            {
                static void Main() => torch.nn.utils.rnn.pack_sequence(new[] { torch.ones(2, 4) });
            }
            """;

        Assert.That(Run(source).Select(d => d.GetMessage()), Has.Exactly(1).StartsWith("'torch.nn.utils.rnn.pack_sequence' is TorchSharp's"));
    }

    /// <summary>Compiles <paramref name="source"/> against TorchSharp and TorchRnn (it must compile) and returns the analyzer's diagnostics.</summary>
    private static ImmutableArray<Diagnostic> Run(string source)
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = platform.Append(typeof(torch).Assembly.Location).Append(typeof(nn).Assembly.Location)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create("App", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.That(errors, Is.Empty, "the snippet compiles");
        return compilation.WithAnalyzers([new TorchSharpTwinAnalyzer()]).GetAnalyzerDiagnosticsAsync().Result;
    }
}

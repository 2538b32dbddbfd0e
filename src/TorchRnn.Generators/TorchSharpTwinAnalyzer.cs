using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace TorchRnn.Generators;

/// <summary>
/// TORCHRNN001: a call to one of TorchSharp's members that TorchRnn replaces with PyTorch's behaviour
/// (<c>torch.nn.LSTM</c>, <c>torch.nn.LSTMCell</c>, ..., <c>torch.nn.utils.rnn.*</c>, <c>torch.optim.LBFGS</c>) in code
/// that references TorchRnn. Such a call compiles and runs, with TorchSharp's defaults and types, so a wrong using
/// (issue 26: <c>using TorchRnn;</c> inside a namespace block does not reach top-level statements, where
/// <c>nn.LSTMCell</c> then means TorchSharp's) would otherwise go unnoticed.
/// </summary>
/// <remarks>
/// Reported only in compilations that reference TorchRnn, never in TorchRnn itself (whose engines run TorchSharp's
/// modules on purpose). Code that wants TorchSharp's member anyway suppresses the warning where it calls it.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TorchSharpTwinAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The diagnostic's id.</summary>
    public const string Id = "TORCHRNN001";

    private static readonly DiagnosticDescriptor Rule = new DiagnosticDescriptor(
        Id,
        "TorchSharp's member where TorchRnn has PyTorch's",
        "'{0}' is TorchSharp's, not TorchRnn's {1} (PyTorch's defaults and behaviour); in a file with 'using static TorchSharp.torch;' a 'using TorchRnn;' inside a namespace block does not reach top-level statements: write TorchRnn.{1}, or use TorchRnn's usings for top-level files (README, \"Use it in your project\")",
        "Usage",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    // TorchSharp's class -> the members TorchRnn replaces there (null: every member), and TorchRnn's name for the class.
    private static readonly Dictionary<string, (HashSet<string> Members, string Twin)> Replaced = new Dictionary<string, (HashSet<string>, string)>
    {
        ["TorchSharp.torch.nn"] = (new HashSet<string> { "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell" }, "nn"),
        ["TorchSharp.torch.nn.utils.rnn"] = (null, "nn.utils.rnn"),
        ["TorchSharp.torch.optim"] = (new HashSet<string> { "LBFGS" }, "optim"),
    };

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var torchRnn = start.Compilation.GetTypeByMetadataName("TorchRnn.nn");
            if (torchRnn == null || SymbolEqualityComparer.Default.Equals(torchRnn.ContainingAssembly, start.Compilation.Assembly))
            {
                return;
            }
            start.RegisterOperationAction(Analyze, OperationKind.Invocation);
        });
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var method = ((IInvocationOperation)context.Operation).TargetMethod;
        var type = method.ContainingType?.ToDisplayString();
        if (type != null && Replaced.TryGetValue(type, out var replaced) && (replaced.Members == null || replaced.Members.Contains(method.Name)))
        {
            var shortName = type.Substring("TorchSharp.".Length) + "." + method.Name;
            context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(), shortName, replaced.Twin + "." + method.Name));
        }
    }
}

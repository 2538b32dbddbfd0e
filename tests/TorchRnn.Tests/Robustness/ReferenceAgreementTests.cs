using System.Linq;
using CsCheck;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Robustness;

/// <summary>
/// Random valid configurations and inputs (CsCheck), packed input included: every float64 module agrees with the
/// managed reference (Reference/ReferenceRecurrence.cs) to 1e-10, in its outputs, its final states and the gradients
/// of a loss with respect to the input, the initial states and every parameter.
/// </summary>
/// <remarks>
/// Counts are fixed so that a run is repeatable and bounded (about 15 s together in Debug on two cores). A
/// failure prints CsCheck's seed; rerun it with <c>CsCheck_Seed=... dotnet test --filter ...</c>. Set
/// <c>CsCheck_Iter</c> to run more cases for a while.
/// </remarks>
[TestFixture]
public class ReferenceAgreementTests
{
    public const int SequenceCases = 3000;
    public const int CellCases = 2000;
    private const double Tolerance = 1e-10;

    [Test]
    public void SequenceModules_RandomValidCases_AgreeWithReference()
    {
        using var threads = new OneIntraOpThread();
        RandomCases.Valid(RandomCases.SequenceModules).Sample(AssertAgrees, iter: SequenceCases, threads: 1);
    }

    [Test]
    public void Cells_RandomValidCases_AgreeWithReference()
    {
        using var threads = new OneIntraOpThread();
        RandomCases.Valid(RandomCases.Cells).Sample(AssertAgrees, iter: CellCases, threads: 1);
    }

    private static void AssertAgrees(ValidCase c)
    {
        using var scope = torch.NewDisposeScope();
        var (built, input, states) = RandomCases.Materialize(c, requiresGrad: true);
        using var module = built;
        var leaves = new[] { input }.Concat(states).Concat(module.parameters()).ToArray();

        var (output, hn, cn) = RandomCases.Forward(c, module, input, states);
        Property.Require(output.dtype == ScalarType.Float64, $"output dtype {output.dtype}");
        var grads = Gradients(ModuleRunner.Loss(output, hn, cn), leaves);

        var (refOutput, refHn, refCn) = RandomCases.Reference(c, module, input, states);
        Same(output, refOutput, "output");
        Property.Require((hn is null) == (refHn is null) && (cn is null) == (refCn is null), "the states returned");
        if (hn is not null) Same(hn, refHn!, "h_n");
        if (cn is not null) Same(cn, refCn!, "c_n");
        var refGrads = Gradients(ModuleRunner.Loss(refOutput, refHn, refCn), leaves);
        var names = new[] { "input" }.Concat(states.Select((_, i) => $"state {i}")).Concat(module.named_parameters().Select(p => p.name)).ToArray();
        for (var i = 0; i < leaves.Length; i++) Same(grads[i], refGrads[i], "gradient of " + names[i]);
    }

    /// <summary>The gradient of <paramref name="loss"/> with respect to each leaf (zeros where it does not depend on one).</summary>
    private static Tensor[] Gradients(Tensor loss, Tensor[] leaves)
    {
        foreach (var leaf in leaves) leaf.grad = null;
        loss.backward();
        return leaves.Select(l => l.grad?.clone() ?? torch.zeros_like(l)).ToArray();
    }

    private static void Same(Tensor actual, Tensor expected, string what)
        => Property.Close(actual, expected, Tolerance, what);
}

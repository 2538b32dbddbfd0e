using System;
using System.Reflection;
using NUnit.Framework;
using TorchSharp;

namespace TorchRnn.Tests;

/// <summary>
/// Public API removed in the redesign comes back as [Obsolete] for a release, so code written against earlier builds
/// still compiles, with a warning that says what to use instead (issue 26).
/// </summary>
public class ObsoleteApiTests
{
    [Test]
    public void HiddenStateRNNBase_IsObsoleteAndNamesWhatToUse()
    {
        var obsolete = typeof(RNN).BaseType!.GetCustomAttribute<ObsoleteAttribute>();

        Assert.That(typeof(RNN).BaseType!.Name, Is.EqualTo("HiddenStateRNNBase"));
        Assert.That(typeof(GRU).BaseType, Is.EqualTo(typeof(RNN).BaseType));
        Assert.That(obsolete, Is.Not.Null);
        Assert.That(obsolete!.IsError, Is.False, "a warning, so old code still compiles");
        Assert.That(obsolete.Message, Does.Contain("RNNBase").And.Contain("HiddenState"));
    }

    [Test]
    public void HiddenStateRNNBase_CastAsInEarlierBuilds_RunsTheModule()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var gru = nn.GRU(5, 6, 2);
        var x = torch.randn(4, 3, 5);
        var h = torch.randn(2, 3, 6);

#pragma warning disable CS0618 // the point: code that names the obsolete type still compiles
        var (output, h_n) = ((HiddenStateRNNBase)gru).call(x, h);
#pragma warning restore CS0618
        var (expected, expectedState) = gru.call(x, new HiddenState(h));

        Assert.That(output.eq(expected).all().item<bool>() && h_n.eq(expectedState.h).all().item<bool>(), Is.True);
    }
}

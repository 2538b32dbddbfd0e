using System;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests;

public class HiddenStateTests
{
    [Test]
    public void Conversions_TensorAndPair_HoldTheSameTensors()
    {
        using var scope = torch.NewDisposeScope();
        var h = torch.zeros(1, 2, 3);
        var c = torch.ones(1, 2, 3);
        HiddenState alone = h;
        HiddenState pair = (h, c);
        Assert.That((alone.h, alone.c, alone.has_cell), Is.EqualTo((h, (Tensor?)null, false)));
        var (h2, c2) = pair;
        Assert.That((h2, c2, pair.has_cell), Is.EqualTo((h, c, true)));
    }

    [Test]
    public void Deconstruct_StateWithoutCell_ThrowsInvalidOperationException()
    {
        using var h = torch.zeros(2, 3);
        HiddenState state = h;
        Assert.Throws<InvalidOperationException>(() => { var (_, _) = state; });
    }

    [Test]
    public void Detach_LstmState_CutsBothFromTheGraphAndSharesStorage()
    {
        using var scope = torch.NewDisposeScope();
        var leaf = torch.ones(2, 3).requires_grad_();
        HiddenState state = (leaf * 2, leaf * 3);
        var detached = state.detach();
        Assert.That(new[] { state.h.requires_grad, state.c!.requires_grad }, Is.All.True);
        Assert.That(new[] { detached.h.requires_grad, detached.c!.requires_grad }, Is.All.False);
        detached.h.add_(1);
        Assert.That(state.h.allclose(torch.full(2, 3, 3.0f)), Is.True, "detach shares storage, as PyTorch's does");
        Assert.That(State.detach((HiddenState?)null), Is.Null);
    }

    [Test]
    public void MoveToOuterDisposeScope_StateMadeInAStep_OutlivesTheStepsScope()
    {
        HiddenState kept;
        using (var outer = torch.NewDisposeScope())
        {
            using (var inner = torch.NewDisposeScope())
            {
                kept = new HiddenState(torch.zeros(2), torch.ones(2)).MoveToOuterDisposeScope();
                var dropped = new HiddenState(torch.zeros(2));
                inner.Dispose();
                Assert.That(dropped.h.IsInvalid, Is.True);
            }
            Assert.That(new[] { kept.h.IsInvalid, kept.c!.IsInvalid }, Is.All.False);
        }
        Assert.That(new[] { kept.h.IsInvalid, kept.c!.IsInvalid }, Is.All.True);
    }

    [Test]
    public void Constructor_NullH_ThrowsArgumentNullException()
        => Assert.Throws<ArgumentNullException>(() => _ = new HiddenState(null!));
}

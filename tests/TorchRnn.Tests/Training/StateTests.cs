using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;

namespace TorchRnn.Tests.Training;

public class StateTests
{
    [Test]
    public void Detach_HiddenState_KeepsValuesAndCutsTheGraph()
    {
        torch.manual_seed(0);
        var rnn = nn.RNN(3, 4);
        var (_, h) = rnn.call(torch.randn(5, 2, 3));

        var detached = State.detach(h);

        Assert.That(h.requires_grad, Is.True);
        Assert.That(detached.requires_grad, Is.False);
        Assert.That(detached.allclose(h, rtol: 0, atol: 0), Is.True);
    }

    [Test]
    public void Detach_LstmPair_CutsBoth()
    {
        torch.manual_seed(0);
        var lstm = nn.LSTM(3, 4);
        var (_, hc) = lstm.call(torch.randn(5, 2, 3));

        var (h, c) = State.detach(hc);

        Assert.That(h.requires_grad || c.requires_grad, Is.False);
        Assert.That(h.allclose(hc.h_n, rtol: 0, atol: 0) && c.allclose(hc.c_n, rtol: 0, atol: 0), Is.True);
    }

    [Test]
    public void Detach_NoStateYet_PassesNullThrough()
    {
        Assert.That(State.detach((torch.Tensor?)null), Is.Null);
        Assert.That(State.detach(((torch.Tensor, torch.Tensor)?)null), Is.Null);
    }

    private static IEnumerable<TestCaseData> DetachCases()
        => Fixtures.Modules("detach").Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    /// <summary>
    /// Truncated backpropagation through time as PyTorch runs it (modules.json's detach): the second chunk starts from
    /// the first chunk's detached state, and backward gives the second chunk PyTorch's gradient and the first none.
    /// </summary>
    [TestCaseSource(nameof(DetachCases))]
    public void Detach_CarriedState_StopsBackwardAtTheChunkBoundaryAsInPyTorch(ModuleCase c)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(c.Seed);
        var module = (RNNBase)ModuleRunner.Build(c);
        var shape = c.Recorded("second_grad")!.Shape;
        var first = torch.randn(shape).requires_grad_();
        var second = torch.randn(shape).requires_grad_();

        var (_, state) = module.call(first);
        var (output, _) = module.call(second, State.detach(state));
        output.sum().backward();

        Assert.That(c.Recorded("first_grad"), Is.Null, "PyTorch: no gradient reaches the first chunk");
        Assert.That(first.grad, Is.Null, "the gradient must not reach the previous chunk");
        Expect.Close(second.grad!, c.Recorded("second_grad")!, 1e-5, "gradient of the second chunk");
    }
}

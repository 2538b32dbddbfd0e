using NUnit.Framework;
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

    [Test]
    public void Detach_CarriedState_StopsBackwardAtTheChunkBoundary()
    {
        torch.manual_seed(0);
        var gru = nn.GRU(3, 4);
        var first = torch.randn(5, 2, 3).requires_grad_();
        var second = torch.randn(5, 2, 3).requires_grad_();

        var (_, h) = gru.call(first);
        var (output, _) = gru.call(second, State.detach(h));
        output.sum().backward();

        Assert.That(second.grad, Is.Not.Null);
        Assert.That(first.grad, Is.Null, "the gradient must not reach the previous chunk");
    }
}

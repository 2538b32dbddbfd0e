using System.Linq;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Training;

/// <summary>Keras's stateful=True: chunks fed one after another give the layer's output on the whole sequence.</summary>
public class StatefulTests
{
    private static void AssertSame(Tensor actual, Tensor expected, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what}: shape");
        Assert.That(actual.allclose(expected, rtol: 0, atol: 1e-6), Is.True,
            $"{what}: largest difference {(actual - expected).abs().max().item<float>():E2}");
    }

    [Test]
    public void Forward_GruInChunks_MatchesTheLayerOnTheWholeSequence()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var gru = nn.GRU(3, 5, num_layers: 2, batch_first: true);
        gru.eval();
        var stateful = new Stateful(gru);
        var sequence = torch.randn(2, 9, 3);
        using var noGrad = torch.no_grad();
        var chunked = torch.cat([stateful.call(sequence[.., ..2]), stateful.call(sequence[.., 2..3]), stateful.call(sequence[.., 3..])], 1);
        var (whole, h_n) = gru.call(sequence);
        AssertSame(chunked, whole, "output");
        AssertSame(stateful.state!.Value.h, h_n, "the carried state");
    }

    [Test]
    public void Forward_LstmInTraining_CarriesTheStateDetachedAndBackwardStopsAtTheChunk()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var lstm = nn.LSTM(2, 4);
        var stateful = new Stateful(lstm);
        var sequence = torch.randn(8, 3, 2);
        var first = stateful.call(sequence[..4]);
        first.sum().backward();
        Assert.That(stateful.state!.Value.h.requires_grad, Is.False);
        Assert.That(stateful.state!.Value.c!.requires_grad, Is.False);
        var second = stateful.call(sequence[4..]);
        Assert.That(() => second.sum().backward(), Throws.Nothing, "the second chunk's graph ends at its start");
        var (whole, _) = lstm.call(sequence); // autograd on: the kernel checked on every CPU
        AssertSame(torch.cat([first, second], 0).detach(), whole.detach(), "output");
    }

    [Test]
    public void ResetStates_OneRow_RestartsThatStreamAndLeavesTheOthers()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        var gru = nn.GRU(2, 3);
        gru.eval();
        var stateful = new Stateful(gru);
        var sequence = torch.randn(7, 3, 2);
        using var noGrad = torch.no_grad();
        stateful.call(sequence[..3]);
        stateful.reset_states(1);
        var after = stateful.call(sequence[3..]);
        var (whole, _) = gru.call(sequence);
        AssertSame(after[.., 0], whole[3.., 0], "stream 0 goes on");
        AssertSame(after[.., 2], whole[3.., 2], "stream 2 goes on");
        AssertSame(after[.., 1..2], gru.call(sequence[3.., 1..2]).output, "stream 1 starts anew from zeros");
        Assert.That(() => stateful.reset_states(3), Throws.InstanceOf<System.ArgumentOutOfRangeException>());
    }

    [Test]
    public void ResetStates_All_StartsFromZeros()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var rnn = nn.RNN(2, 3, num_layers: 2);
        rnn.eval();
        var stateful = new Stateful(rnn);
        using var noGrad = torch.no_grad();
        stateful.call(torch.randn(4, 2, 2));
        stateful.reset_states();
        Assert.That(stateful.state, Is.Null);
        var x = torch.randn(5, 2, 2);
        AssertSame(stateful.call(x), rnn.call(x).output, "after reset_states()");
    }

    [Test]
    public void State_OutlivesTheCallersDisposeScope()
    {
        torch.manual_seed(4);
        var gru = nn.GRU(2, 3);
        gru.eval();
        var stateful = new Stateful(gru);
        using (torch.NewDisposeScope())
        using (torch.no_grad())
            stateful.call(torch.randn(3, 2, 2));
        Assert.That(stateful.state!.Value.h.IsInvalid, Is.False, "the state is the wrapper's, not the scope's");
        stateful.Dispose();
    }

    [Test]
    public void StateDict_HasTheLayersParametersUnderRnn()
    {
        using var scope = torch.NewDisposeScope();
        var stateful = new Stateful(nn.GRU(2, 3));
        Assert.That(stateful.state_dict().Keys.ToArray(),
            Is.EqualTo(new[] { "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0" }));
    }
}

using System;
using System.Collections.Generic;
using NUnit.Framework;
using TorchRnn.Kinds;
using TorchRnn.Benchmarks;
using TorchRnn.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Kinds;

/// <summary>
/// The extension point: a user's kind gets the sequence machinery of the built-in ones (layers, directions,
/// batch_first, unbatched and packed input, dropout draws, state_dict, Checkpoint), and PyTorch's LSTM written as one
/// gives the built-in LSTM's numbers.
/// </summary>
public class UserKindTests
{
    private static IEnumerable<TestCaseData> Layouts()
    {
        foreach (var layers in new long[] { 1, 2 })
        foreach (var bidirectional in new[] { false, true })
        foreach (var batchFirst in new[] { false, true })
        foreach (var bias in new[] { true, false })
            yield return new TestCaseData(layers, bidirectional, batchFirst, bias);
    }

    [TestCaseSource(nameof(Layouts))]
    public void Forward_LstmAsUserKind_MatchesBuiltInLstm(long layers, bool bidirectional, bool batchFirst, bool bias)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var builtIn = nn.LSTM(5, 6, layers, bias, batchFirst, bidirectional: bidirectional);
        torch.manual_seed(7);
        var user = nn.Recurrent(new UserLstm(), 5, 6, layers, bias, batchFirst, bidirectional: bidirectional);
        // The same names, in the same order, drawn the same: the user's kind declared PyTorch's parameters.
        Assert.That(user.state_dict().Keys, Is.EqualTo(builtIn.state_dict().Keys));
        foreach (var (name, p) in builtIn.named_parameters()) Assert.That(user.get_parameter(name)!.allclose(p, 0, 0), name);

        var x1 = torch.randn(batchFirst ? new long[] { 3, 4, 5 } : [4, 3, 5], requires_grad: true);
        var x2 = x1.detach().clone().requires_grad_();
        var h0 = torch.randn(layers * (bidirectional ? 2 : 1), 3, 6);
        var c0 = torch.randn(layers * (bidirectional ? 2 : 1), 3, 6);
        var (o1, s1) = builtIn.call(x1, new HiddenState(h0, c0));
        var (o2, s2) = user.call(x2, new HiddenState(h0, c0));
        Assert.That(torch.allclose(o2, o1, 1e-5, 1e-6) && torch.allclose(s2.h, s1.h, 1e-5, 1e-6) && torch.allclose(s2.c!, s1.c!, 1e-5, 1e-6));
        (o1.pow(2).sum() + s1.c!.sum()).backward();
        (o2.pow(2).sum() + s2.c!.sum()).backward();
        Assert.That(torch.allclose(x2.grad!, x1.grad!, 1e-4, 1e-5));
        foreach (var (name, p) in builtIn.named_parameters())
            Assert.That(torch.allclose(user.get_parameter(name)!.grad!, p.grad!, 1e-4, 1e-5), name);
    }

    [Test]
    public void Forward_UserKindPackedUnbatchedAndDropout_MatchesBuiltInLstm()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var builtIn = nn.LSTM(4, 5, 2, dropout: 0.5);
        torch.manual_seed(3);
        var user = nn.Recurrent(new UserLstm(), 4, 5, 2, dropout: 0.5);
        builtIn.eval();
        user.eval();
        var x = torch.randn(6, 3, 4);
        var packed = nn.utils.rnn.pack_padded_sequence(x, new long[] { 6, 2, 4 }, enforce_sorted: false);
        var (p1, s1) = builtIn.call(packed, (HiddenState?)null);
        var (p2, s2) = user.call(packed);
        Assert.That(torch.allclose(p2.data, p1.data, 1e-5, 1e-6) && torch.allclose(s2.h, s1.h, 1e-5, 1e-6));

        var (u1, _) = builtIn.call(x[.., 0], (HiddenState?)null);
        var (u2, _) = user.call(x[.., 0]);
        Assert.That(torch.allclose(u2, u1, 1e-5, 1e-6), "unbatched");

        builtIn.train();
        user.train();
        torch.manual_seed(11);
        builtIn.ForcedEngine = TorchRnn.Engines.Engine.Managed; // dropout's draws are the managed engine's (PyTorch's order)
        var (d1, _) = builtIn.call(x, (HiddenState?)null);
        torch.manual_seed(11);
        var (d2, _) = user.call(x);
        Assert.That(torch.allclose(d2, d1, 1e-5, 1e-6), "dropout between layers draws as the built-in LSTM does");
    }

    [Test]
    public void Checkpoint_UserKind_RoundTripsUnderPyTorchsNames()
    {
        using var scope = torch.NewDisposeScope();
        var a = nn.LayerNormLSTM(3, 4, 2, bidirectional: true);
        var b = nn.LayerNormLSTM(3, 4, 2, bidirectional: true);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"lnlstm-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.save(a, path);
            Checkpoint.load(b, path);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
        Assert.That(b.state_dict().Keys, Does.Contain("weight_ln_c_l1_reverse"));
        foreach (var (name, p) in a.named_parameters()) Assert.That(b.get_parameter(name)!.allclose(p, 0, 0), name);
    }

    [Test]
    public void Step_ReturnsStateWithoutCell_ThrowsNamingTheKind()
    {
        var broken = nn.Recurrent(new Broken(), 2, 3);
        Assert.That(() => broken.call(torch.randn(4, 1, 2)), Throws.InvalidOperationException.With.Message.Contains("Broken's step returned a state without c"));
    }

    [Test]
    public void Repr_UserKind_UsesTheKindsNames()
    {
        Assert.That(nn.Recurrent(new UserLstm(), 5, 6, 2, batch_first: true).ToString(), Is.EqualTo("UserLSTM(5, 6, num_layers=2, batch_first=True)"));
        Assert.That(nn.RecurrentCell(new UserLstm(), 5, 6, bias: false).ToString(), Is.EqualTo("UserLSTMCell(5, 6, bias=False)"));
        Assert.That(nn.Recurrent(new UserLstm(), 5, 6).mode, Is.EqualTo("UserLSTM"));
    }

    private sealed class Broken() : RecurrentKind("Broken", has_cell: true)
    {
        public override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias) => [new("weight", [hidden_size, input_size])];

        public override HiddenState step(Tensor input, HiddenState state, CellWeights weights) => new(state.h + 1);
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests;

/// <summary>The common type of RNN, LSTM and GRU: PyTorch's mode strings, one state type, forward and call alike.</summary>
public class RNNBaseTests
{
    private static IEnumerable<TestCaseData> Modes()
    {
        yield return new TestCaseData("LSTM", typeof(LSTM), "LSTM(5, 6, num_layers=2)");
        yield return new TestCaseData("GRU", typeof(GRU), "GRU(5, 6, num_layers=2)");
        yield return new TestCaseData("RNN_TANH", typeof(RNN), "RNN(5, 6, num_layers=2)");
        yield return new TestCaseData("RNN_RELU", typeof(RNN), "RNN(5, 6, num_layers=2)");
    }

    [TestCaseSource(nameof(Modes))]
    public void Factory_PyTorchModeString_BuildsThatModuleWithPyTorchsDraws(string mode, Type type, string repr)
    {
        torch.manual_seed(7);
        using RNNBase built = nn.RNNBase(mode, 5, 6, 2);
        torch.manual_seed(7);
        using RNNBase direct = mode switch
        {
            "LSTM" => nn.LSTM(5, 6, 2),
            "GRU" => nn.GRU(5, 6, 2),
            _ => nn.RNN(5, 6, 2, nonlinearity: mode == "RNN_RELU" ? "relu" : "tanh"),
        };
        Assert.That((built.GetType(), built.mode, built.ToString()), Is.EqualTo((type, mode, repr)));
        foreach (var (name, p) in direct.named_parameters())
            Assert.That(built.get_parameter(name)!.allclose(p, 0, 0), Is.True, name);
    }

    [Test]
    public void Factory_UnknownMode_ThrowsPyTorchsMessage()
    {
        Errors.Expect("rnnbase/UnknownMode", Assert.Throws<ArgumentException>(() => nn.RNNBase("LSTMP", 5, 6))!);
    }

    [Test]
    public void Factory_ProjectionsOnGru_ThrowsPyTorchsMessage()
    {
        Errors.Expect("rnnbase/GruWithProjections", Assert.Throws<ArgumentException>(() => nn.RNNBase("GRU", 5, 6, proj_size: 3))!);
    }

    [TestCaseSource(nameof(Modes))]
    public void Call_HiddenStateCarriedAcrossCalls_EqualsOneCallOverTheWholeSequence(string mode, Type type, string repr)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        RNNBase rnn = nn.RNNBase(mode, 5, 6, 2);
        var x = torch.randn(6, 3, 5);
        var (whole, last) = rnn.call(x);
        HiddenState? hidden = null;
        var pieces = new List<Tensor>();
        foreach (var chunk in x.split(2, 0))
        {
            var (output, h_n) = rnn.call(chunk, hidden);
            pieces.Add(output);
            hidden = h_n.detach();
        }
        Assert.That(torch.cat(pieces, 0).allclose(whole, 1e-6, 1e-6), Is.True);
        Assert.That(hidden!.Value.h.allclose(last.h, 1e-6, 1e-6), Is.True);
        Assert.That(hidden.Value.has_cell, Is.EqualTo(mode == "LSTM"));
    }

    /// <summary>rnn.json's cases without initial states, one of each module, packed input included.</summary>
    private static IEnumerable<TestCaseData> StateLeftOutCases()
        => from c in Fixtures.All()
           where (c.Module, c.Name) is ("RNN", "DefaultHx") or ("GRU", "DefaultHx") or ("LSTM", "DefaultHx")
               or ("RNNCell", "CellTutorial") or ("GRUCell", "Cell") or ("LSTMCell", "Cell") or ("RNN", "PackedSorted")
               or ("LSTM", "PackedFloat64")
           select new TestCaseData(c).SetArgDisplayNames(c.Module, c.Name);

    /// <summary>
    /// <c>forward</c> takes its state as optional as <c>call</c> does: the one-argument forward of every module gives
    /// PyTorch's output for the input alone (rnn.json, PyTorch's weights copied in).
    /// </summary>
    [TestCaseSource(nameof(StateLeftOutCases))]
    public void Forward_StateLeftOut_GivesPyTorchsOutput(ModuleCase c)
    {
        using var scope = torch.NewDisposeScope();
        var module = ModuleRunner.Build(c);
        using (torch.no_grad())
        {
            foreach (var (name, value) in c.Parameters) module.get_parameter(name)!.copy_(value.ToTensor(c.DType, torch.CPU));
        }
        var input = c.Input.ToTensor(c.DType, torch.CPU);
        var packed = c.Lengths is { } lengths ? nn.utils.rnn.pack_padded_sequence(input, lengths, enforce_sorted: c.EnforceSorted) : null;

        var output = (module, packed) switch
        {
            (RNN m, null) => m.forward(input).output,
            (RNN m, _) => m.forward(packed).output.data,
            (GRU m, _) => m.forward(input).output,
            (LSTM m, null) => m.forward(input).output,
            (LSTM m, _) => m.forward(packed).output.data,
            (RNNCell m, _) => m.forward(input),
            (GRUCell m, _) => m.forward(input),
            (LSTMCell m, _) => m.forward(input).h_1,
            _ => throw new ArgumentException(c.Module),
        };

        Expect.Close(output, c.Output, c.Tolerance, "output");
    }

    [Test]
    public void Call_GruGivenAnLstmState_ThrowsArgumentException()
    {
        using var scope = torch.NewDisposeScope();
        RNNBase gru = nn.GRU(4, 5);
        var error = Assert.Throws<ArgumentException>(() => gru.call(torch.randn(2, 3, 4), (torch.zeros(1, 3, 5), torch.zeros(1, 3, 5))));
        Errors.Expect("rnnbase/GruGivenAnLstmState", error!);
    }

    [Test]
    public void Call_LstmGivenHAlone_ThrowsArgumentNullException()
    {
        using var scope = torch.NewDisposeScope();
        RNNBase lstm = nn.LSTM(4, 5);
        var error = Assert.Throws<ArgumentNullException>(() => lstm.call(torch.randn(2, 3, 4), torch.zeros(1, 3, 5)));
        Errors.Expect("rnnbase/LstmGivenHAlone", error!);
    }

    [Test]
    public void Call_PackedInput_RunsModuleLevelAndPackedHooks()
    {
        using var scope = torch.NewDisposeScope();
        var gru = nn.GRU(4, 5);
        var seen = new List<string>();
        gru.register_forward_pre_hook(_ => seen.Add("module pre"));
        gru.register_forward_hook(_ => seen.Add("module post"));
        using var pre = gru.RegisterPackedForwardPreHook((m, x, hx) => { seen.Add($"packed pre {x.batch_sizes.shape[0]}"); return null; });
        using var post = gru.RegisterPackedForwardHook((m, x, hx, result) =>
        {
            seen.Add("packed post");
            return (result.output, result.h_n.h * 0);
        });
        using var packed = nn.utils.rnn.pack_sequence([torch.randn(3, 4), torch.randn(1, 4)]);
        var (_, h_n) = gru.call(packed);
        Assert.That(seen, Is.EqualTo(new[] { "module pre", "packed pre 3", "packed post", "module post" }));
        Assert.That(h_n.abs().max().item<float>(), Is.Zero, "the forward hook's result replaces the module's");

        post.Dispose();
        seen.Clear();
        gru.call(packed);
        Assert.That(seen, Is.EqualTo(new[] { "module pre", "packed pre 3", "module post" }), "a disposed handle removes its hook");
    }

    [Test]
    public void Call_DisposedModule_ThrowsObjectDisposedExceptionNamingIt()
    {
        var lstm = nn.LSTM(4, 5);
        lstm.Dispose();
        using var x = torch.randn(2, 3, 4);
        var error = Assert.Throws<ObjectDisposedException>(() => lstm.call(x));
        Assert.That(error!.ObjectName, Is.EqualTo("LSTM"));
        var cell = nn.GRUCell(4, 5);
        cell.Dispose();
        Assert.That(Assert.Throws<ObjectDisposedException>(() => cell.call(x[0]))!.ObjectName, Is.EqualTo("GRUCell"));
    }

    [Test]
    public void Call_DisposedInputOrState_ThrowsArgumentExceptionNamingIt()
    {
        using var rnn = nn.RNN(4, 5);
        var x = torch.randn(2, 3, 4);
        var h = torch.zeros(1, 3, 5);
        h.Dispose();
        var error = Assert.Throws<ArgumentException>(() => rnn.call(x, h))!;
        Errors.Expect("rnnbase/Disposed hx", error);
        Assert.That(error.ParamName, Is.EqualTo("hx"));
        x.Dispose();
        error = Assert.Throws<ArgumentException>(() => rnn.call(x))!;
        Errors.Expect("rnnbase/Disposed input", error);
        Assert.That(error.ParamName, Is.EqualTo("input"));
    }

    [TestCase(false, new long[] { 3, 7, 4 }, "rnnbase/HiddenSizeHintBatchFirstTrue")]
    [TestCase(true, new long[] { 7, 3, 4 }, "rnnbase/HiddenSizeHintBatchFirstFalse")]
    public void Call_InputLaidOutTheOtherWay_HiddenSizeErrorHintsAtBatchFirst(bool batch_first, long[] shape, string name)
    {
        using var scope = torch.NewDisposeScope();
        var rnn = nn.RNN(4, 5, 2, batch_first: batch_first);
        Errors.Expect(name, Assert.Throws<ArgumentException>(() => rnn.call(torch.randn(shape), torch.zeros(2, 3, 5)))!);
    }

    [Test]
    public void Call_HiddenSizeWrongForBothReadings_GivesPyTorchsMessageAlone()
    {
        using var scope = torch.NewDisposeScope();
        var rnn = nn.RNN(4, 5, 2);
        Errors.Expect("rnnbase/HiddenSizeWrongForBothReadings", Assert.Throws<ArgumentException>(() => rnn.call(torch.randn(6, 7, 4), torch.zeros(2, 3, 5)))!);
    }
}

using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests;

/// <summary>
/// Packed batches through RNN, GRU and LSTM: PyTorch's test_variable_sequence, ported (each sequence run alone, with
/// its own slice of hx, gives what the packed batch gives), for every module type.
/// </summary>
public class PackedForwardTests
{
    private static IEnumerable<TestCaseData> VariableSequenceCases()
    {
        var lengthSets = new (bool EnforceSorted, long[] Lengths)[]
        {
            (true, [5]), (false, [5]), (true, [10, 10, 6, 2, 2, 1, 1]), (false, [10, 10, 6, 2, 2, 1, 1]), (false, [2, 1, 3, 2, 10, 5, 3]),
        };
        foreach (var module in new[] { "LSTM", "LSTMProjected", "GRU", "RNN" })
        foreach (var (sorted, lengths) in lengthSets)
        foreach (var defaultHidden in new[] { true, false })
        foreach (var device in Devices.Names())
        {
            yield return new TestCaseData(module, sorted, lengths, defaultHidden, device)
                .SetArgDisplayNames(module, sorted ? "sorted" : "unsorted", string.Join("-", lengths), defaultHidden ? "default hx" : "hx", device);
        }
    }

    // test_variable_sequence
    [TestCaseSource(nameof(VariableSequenceCases))]
    public void Forward_PackedBatch_EqualsEachSequenceAlone(string module, bool enforceSorted, long[] lengths, bool defaultHidden, string deviceName)
    {
        var device = torch.device(deviceName);
        using var scope = torch.NewDisposeScope();
        const long inputSize = 3, hiddenSize = 4, layers = 2;
        var lstm = module.StartsWith("LSTM");
        var proj = module == "LSTMProjected" ? 2L : 0L;
        var outSize = proj > 0 ? proj : hiddenSize;
        var net = Build(module, inputSize, hiddenSize, layers, proj, device);
        var batch = lengths.Length;
        var longest = lengths.Max();
        var x = torch.randn(new[] { longest, batch, inputSize }, dtype: ScalarType.Float64, device: device).requires_grad_();
        Tensor? h0 = null, c0 = null;
        if (!defaultHidden)
        {
            h0 = torch.randn(new[] { 2 * layers, (long)batch, outSize }, dtype: ScalarType.Float64, device: device);
            if (lstm) c0 = torch.randn(new[] { 2 * layers, (long)batch, hiddenSize }, dtype: ScalarType.Float64, device: device);
        }

        // Each sequence alone, on the padded tensor's slice, with its own column of hx.
        var aloneOutputs = new List<Tensor>();
        var aloneH = new List<Tensor>();
        var aloneC = new List<Tensor>();
        for (var i = 0; i < batch; i++)
        {
            var xi = x.narrow(0, 0, lengths[i]).narrow(1, i, 1);
            var (o, h, c) = Run(net, xi, h0?.narrow(1, i, 1), c0?.narrow(1, i, 1));
            aloneOutputs.Add(torch.nn.functional.pad(o, [0, 0, 0, 0, 0, longest - lengths[i]]));
            aloneH.Add(h);
            if (c is not null) aloneC.Add(c);
        }
        var aloneOutput = torch.cat(aloneOutputs, 1);

        var packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted: enforceSorted);
        var (packedOutput, packedH, packedC) = RunPacked(net, packed, h0, c0);
        var (unpacked, unpackedLengths) = nn.utils.rnn.pad_packed_sequence(packedOutput);

        Assert.That(unpacked.allclose(aloneOutput, rtol: 0, atol: 1e-10), Is.True, "outputs");
        Assert.That(packedH.allclose(torch.cat(aloneH, 1), rtol: 0, atol: 1e-10), Is.True, "h_n");
        if (lstm) Assert.That(packedC!.allclose(torch.cat(aloneC, 1), rtol: 0, atol: 1e-10), Is.True, "c_n");
        Assert.That(unpackedLengths.data<long>().ToArray(), Is.EqualTo(lengths));

        // Backward: the same gradient reaches the input either way.
        var gradAlone = torch.autograd.grad([aloneOutput.sum()], [x])[0];
        var gradPacked = torch.autograd.grad([unpacked.sum()], [x])[0];
        Assert.That(gradPacked.allclose(gradAlone, rtol: 0, atol: 1e-10), Is.True, "grad of input");
    }

    [Test]
    public void Forward_PackedOutput_KeepsBatchSizesAndIndicesAndOwnsItsTensors()
    {
        using var scope = torch.NewDisposeScope();
        var gru = nn.GRU(3, 4);
        var packed = nn.utils.rnn.pack_sequence([torch.randn(2, 3), torch.randn(1, 3), torch.randn(3, 3)], enforce_sorted: false);
        var (output, hn) = gru.call(packed);
        Assert.That(output.batch_sizes.data<long>().ToArray(), Is.EqualTo(new long[] { 3, 2, 1 }));
        Assert.That(output.sorted_indices!.data<long>().ToArray(), Is.EqualTo(new long[] { 2, 0, 1 }));
        Assert.That(output.unsorted_indices!.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 2, 0 }));
        Assert.That((output.data.shape, hn.shape), Is.EqualTo((new long[] { 6, 4 }, new long[] { 1, 3, 4 })));
        output.Dispose();
        Assert.That(packed.batch_sizes.IsInvalid, Is.False, "disposing the output leaves the input's tensors alone");
    }

    [Test]
    public void Forward_PackedWithWrongState_ThrowsTheFixturesMessages()
    {
        using var scope = torch.NewDisposeScope();
        var lstm = nn.LSTM(3, 4);
        var packed = nn.utils.rnn.pack_sequence([torch.randn(3, 3), torch.randn(2, 3)]);
        Errors.Expect("packed/WrongHidden", Assert.Throws(Is.InstanceOf<System.ArgumentException>(),
            () => lstm.call(packed, (torch.zeros(1, 3, 4), torch.zeros(1, 2, 4))))!);
        Errors.Expect("packed/NullCell", Assert.Throws<System.ArgumentNullException>(() => lstm.call(packed, (torch.zeros(1, 2, 4), null!)))!);
        var rnn = nn.RNN(3, 4);
        Errors.Expect("packed/WrongInputSize", Assert.Throws(Is.InstanceOf<System.ArgumentException>(),
            () => rnn.call(nn.utils.rnn.pack_sequence([torch.randn(3, 5)])))!);
    }

    private static torch.nn.Module Build(string module, long inputSize, long hiddenSize, long layers, long proj, Device device) => module switch
    {
        "GRU" => nn.GRU(inputSize, hiddenSize, layers, bidirectional: true, device: device, dtype: ScalarType.Float64),
        "RNN" => nn.RNN(inputSize, hiddenSize, layers, bidirectional: true, device: device, dtype: ScalarType.Float64),
        _ => nn.LSTM(inputSize, hiddenSize, layers, bidirectional: true, proj_size: proj, device: device, dtype: ScalarType.Float64),
    };

    private static (Tensor Output, Tensor H, Tensor? C) Run(torch.nn.Module net, Tensor x, Tensor? h0, Tensor? c0)
    {
        switch (net)
        {
            case LSTM lstm: { var (o, (h, c)) = lstm.call(x, h0 is null ? null : (h0, c0!)); return (o, h, c); }
            case GRU gru: { var (o, h) = gru.call(x, h0); return (o, h, null); }
            default: { var (o, h) = ((RNN)net).call(x, h0); return (o, h, null); }
        }
    }

    private static (PackedSequence Output, Tensor H, Tensor? C) RunPacked(torch.nn.Module net, PackedSequence x, Tensor? h0, Tensor? c0)
    {
        switch (net)
        {
            case LSTM lstm: { var (o, (h, c)) = lstm.call(x, h0 is null ? null : (h0, c0!)); return (o, h, c); }
            case GRU gru: { var (o, h) = gru.call(x, h0); return (o, h, null); }
            default: { var (o, h) = ((RNN)net).call(x, h0); return (o, h, null); }
        }
    }
}

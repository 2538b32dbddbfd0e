using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Utils;

/// <summary>PyTorch's own tests of torch.nn.utils.rnn (test/nn/test_packed_sequence.py in the pytorch/pytorch repository), ported.</summary>
public class PortedPackedSequenceTests
{
    private const int MaxLen = 9;

    private static Tensor A => torch.tensor(new[] { 1L, 2, 3 });
    private static Tensor B => torch.tensor(new[] { 4L, 5 });
    private static Tensor C => torch.tensor(new[] { 6L });

    private static Tensor Matrix(long[,] values) => torch.tensor(values);

    private static void AssertEqual(Tensor actual, Tensor expected, string what = "")
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), what + " shape");
        Assert.That(actual.allclose(expected.to(actual.dtype), 0, 0), Is.True, what + " values");
    }

    /// <summary>PyTorch's loops: sequences (i*i, 5, 4 x num_dim) for i = 1..9, shuffled, for num_dim 0 to 3.</summary>
    private static List<Tensor> SquareLengthSequences(int numDim, bool descending)
    {
        var trailing = Enumerable.Repeat(4L, numDim);
        var lengths = Enumerable.Range(1, MaxLen).Select(i => (long)i * i);
        if (descending) lengths = lengths.Reverse();
        return lengths.Select(n => torch.rand([n, 5, .. trailing])).ToList();
    }

    private static List<T> Shuffled<T>(IEnumerable<T> items, Random random) => items.OrderBy(_ => random.Next()).ToList();

    // test_pad_sequence
    [Test]
    public void PadSequence_PyTorchsTest_PadsEveryLayout()
    {
        using var scope = torch.NewDisposeScope();
        var expected = Matrix(new long[,] { { 4, 5, 0 }, { 1, 2, 3 }, { 6, 0, 0 } });
        AssertEqual(nn.utils.rnn.pad_sequence([B, A, C], true), expected, "batch_first");
        AssertEqual(nn.utils.rnn.pad_sequence([B, A, C]), expected.t(), "time-major");
        AssertEqual(nn.utils.rnn.pad_sequence([B, A, C], true, 1), Matrix(new long[,] { { 4, 5, 1 }, { 1, 2, 3 }, { 6, 1, 1 } }), "padding 1");
        AssertEqual(nn.utils.rnn.pad_sequence([A, B, C], true), Matrix(new long[,] { { 1, 2, 3 }, { 4, 5, 0 }, { 6, 0, 0 } }), "sorted");
        // PyTorch 2.x's padding_side='left' cases.
        AssertEqual(nn.utils.rnn.pad_sequence([B, A, C], true, padding_side: "left"), Matrix(new long[,] { { 0, 4, 5 }, { 1, 2, 3 }, { 0, 0, 6 } }), "left");
        AssertEqual(nn.utils.rnn.pad_sequence([B, A, C], false, 1, "left"), Matrix(new long[,] { { 1, 4, 5 }, { 1, 2, 3 }, { 1, 1, 6 } }).t(), "left time-major");

        var random = new Random(0);
        torch.manual_seed(0);
        for (var numDim = 0; numDim < 4; numDim++)
        {
            var sequences = Shuffled(SquareLengthSequences(numDim, false), random);
            var padded = torch.stack(sequences.Select(s => torch.cat([s, torch.zeros([MaxLen * MaxLen - s.shape[0], .. s.shape.Skip(1)])])));
            AssertEqual(nn.utils.rnn.pad_sequence(sequences, true), padded, $"num_dim {numDim} batch_first");
            AssertEqual(nn.utils.rnn.pad_sequence(sequences), padded.transpose(0, 1), $"num_dim {numDim}");
        }
    }

    // test_pack_sequence
    [Test]
    public void PackSequence_PyTorchsTest_MatchesPadAndPackPadded()
    {
        using var scope = torch.NewDisposeScope();
        var expected = torch.tensor(new[] { 1L, 4, 6, 2, 5, 3 });
        using (var packed = nn.utils.rnn.pack_sequence([A, B, C], enforce_sorted: false))
        {
            AssertEqual(packed.batch_sizes, torch.tensor(new[] { 3L, 2, 1 }));
            AssertEqual(packed.data, expected);
            AssertEqual(packed.sorted_indices!, torch.tensor(new[] { 0L, 1, 2 }));
            AssertEqual(packed.unsorted_indices!, torch.tensor(new[] { 0L, 1, 2 }));
        }
        using (var unsorted = nn.utils.rnn.pack_sequence([B, C, A], enforce_sorted: false))
        {
            AssertEqual(unsorted.batch_sizes, torch.tensor(new[] { 3L, 2, 1 }));
            AssertEqual(unsorted.data, expected);
            AssertEqual(unsorted.sorted_indices!, torch.tensor(new[] { 2L, 0, 1 }));
            AssertEqual(unsorted.unsorted_indices!, torch.tensor(new[] { 1L, 2, 0 }));
        }
        using (var sorted = nn.utils.rnn.pack_sequence([A, B, C], enforce_sorted: true))
        {
            AssertEqual(sorted.batch_sizes, torch.tensor(new[] { 3L, 2, 1 }));
            AssertEqual(sorted.data, expected);
            Assert.That(sorted.sorted_indices, Is.Null);
            Assert.That(sorted.unsorted_indices, Is.Null);
        }
        Errors.Expect("ported/pack_sequence [b, c, a]", Assert.Throws<ArgumentException>(() => nn.utils.rnn.pack_sequence([B, C, A], enforce_sorted: true))!);

        var random = new Random(1);
        torch.manual_seed(1);
        for (var numDim = 0; numDim < 4; numDim++)
        {
            var sequences = SquareLengthSequences(numDim, true);
            var unsortedSequences = Shuffled(sequences.Select(s => s.clone()), random);
            foreach (var batchFirst in new[] { true, false })
            {
                foreach (var enforceSorted in new[] { true, false })
                    Compatibility(sequences, batchFirst, enforceSorted);
                Compatibility(unsortedSequences, batchFirst, false);
            }
        }
    }

    private static void Compatibility(List<Tensor> sequences, bool batchFirst, bool enforceSorted)
    {
        using var scope = torch.NewDisposeScope();
        var lengths = sequences.Select(s => s.shape[0]).ToArray();
        var padded = nn.utils.rnn.pad_sequence(sequences, batchFirst);
        var packed = nn.utils.rnn.pack_sequence(sequences, enforceSorted);
        AssertEqual(nn.utils.rnn.pad_packed_sequence(packed, batchFirst).padded, padded, "pad_packed_sequence of pack_sequence");
        var packPadded = nn.utils.rnn.pack_padded_sequence(padded, lengths, batchFirst, enforceSorted);
        AssertEqual(packPadded.data, packed.data, "data");
        AssertEqual(packPadded.batch_sizes, packed.batch_sizes, "batch_sizes");
        Assert.That(packPadded.sorted_indices is null, Is.EqualTo(packed.sorted_indices is null));
        if (packed.sorted_indices is not null) AssertEqual(packPadded.sorted_indices!, packed.sorted_indices, "sorted_indices");
    }

    // test_total_length
    [Test]
    public void PadPackedSequence_PyTorchsTotalLengthTest_PadsToTotalLength()
    {
        using var scope = torch.NewDisposeScope();
        const int batchSize = 5, maxLength = 6;
        var random = new Random(2);
        var ordered = Enumerable.Range(0, batchSize)
            .Select(_ => torch.randint(-128, 128, [random.Next(1, maxLength + 1)]).to_type(ScalarType.Float32))
            .OrderByDescending(s => s.shape[0]).ToList();
        var lengths = ordered.Select(s => s.shape[0]).ToArray();
        var longest = lengths.Max();
        var packed = nn.utils.rnn.pack_padded_sequence(nn.utils.rnn.pad_sequence(ordered), lengths);
        foreach (var totalLength in new[] { -1, 0, longest - 1 })
        {
            foreach (var batchFirst in new[] { true, false })
            {
                var error = Assert.Throws<ArgumentException>(() => nn.utils.rnn.pad_packed_sequence(packed, batchFirst, total_length: totalLength))!;
                Errors.Expect($"ported/total_length/{totalLength}/{longest}", error);
            }
        }
        foreach (var batchFirst in new[] { true, false })
        {
            var noExtraPad = nn.utils.rnn.pad_packed_sequence(packed, batchFirst).padded;
            foreach (var delta in new long[] { 0, 1, 8 })
            {
                var (unpacked, lengthsOut) = nn.utils.rnn.pad_packed_sequence(packed, batchFirst, total_length: longest + delta);
                Assert.That(lengthsOut.data<long>().ToArray(), Is.EqualTo(lengths));
                Assert.That(unpacked.shape[batchFirst ? 1 : 0], Is.EqualTo(longest + delta));
                var reference = delta == 0
                    ? noExtraPad
                    : batchFirst
                        ? torch.cat([noExtraPad, torch.zeros(batchSize, delta)], 1)
                        : torch.cat([noExtraPad, torch.zeros(delta, batchSize)], 0);
                AssertEqual(unpacked, reference, $"delta {delta}");
            }
        }
    }

    // test_unpad_sequence
    [Test]
    public void UnpadSequence_PyTorchsTest_RecoversEverySequence()
    {
        using var scope = torch.NewDisposeScope();
        var sequences = new[] { A, B, C };
        var lengths = torch.tensor(sequences.Select(s => s.shape[0]).ToArray());
        foreach (var batchFirst in new[] { true, false })
            AssertSequences(nn.utils.rnn.unpad_sequence(nn.utils.rnn.pad_sequence(sequences, batchFirst), lengths, batchFirst), sequences);

        var random = new Random(3);
        torch.manual_seed(3);
        for (var numDim = 0; numDim < 4; numDim++)
        {
            var shuffled = Shuffled(SquareLengthSequences(numDim, false), random);
            var shuffledLengths = torch.tensor(shuffled.Select(s => s.shape[0]).ToArray());
            foreach (var batchFirst in new[] { true, false })
            {
                var padded = nn.utils.rnn.pad_sequence(shuffled, batchFirst);
                var before = padded.clone();
                AssertSequences(nn.utils.rnn.unpad_sequence(padded, shuffledLengths, batchFirst), shuffled);
                AssertEqual(padded, before, "the padded tensor is unchanged (PyTorch transposes it in place)");
            }
        }
    }

    // test_unpack_sequence
    [Test]
    public void UnpackSequence_PyTorchsTest_RecoversEverySequence()
    {
        using var scope = torch.NewDisposeScope();
        var sequences = new[] { A, B, C };
        AssertSequences(nn.utils.rnn.unpack_sequence(nn.utils.rnn.pack_sequence(sequences, enforce_sorted: false)), sequences);

        var random = new Random(4);
        torch.manual_seed(4);
        for (var numDim = 0; numDim < 4; numDim++)
        {
            var shuffled = Shuffled(SquareLengthSequences(numDim, false), random);
            AssertSequences(nn.utils.rnn.unpack_sequence(nn.utils.rnn.pack_sequence(shuffled, enforce_sorted: false)), shuffled);
        }
    }

    // test_variable_sequence's packing half (PackedForwardTests ports its modules' half): padded ->
    // pack_padded_sequence -> pad_packed_sequence gives the input back, zeroed past each length, and gradients reach
    // only the unpadded steps.
    [TestCaseSource(typeof(Devices), nameof(Devices.Names))]
    public void PackThenPad_VariableLengths_RoundTripsAndMasksGradient(string deviceName)
    {
        using var scope = torch.NewDisposeScope();
        var device = torch.device(deviceName);
        long[] lengths = [35, 35, 33, 31, 16, 15, 2, 1];
        var input = torch.randn(35, lengths.Length, 10, device: device).requires_grad_();
        var (padded, lengthsOut) = nn.utils.rnn.pad_packed_sequence(nn.utils.rnn.pack_padded_sequence(input, lengths));
        Assert.That(lengthsOut.data<long>().ToArray(), Is.EqualTo(lengths));
        var mask = torch.zeros(35, lengths.Length, 1, device: device);
        for (var b = 0; b < lengths.Length; b++) mask[TensorIndex.Slice(0, lengths[b]), b] = torch.ones(1, device: device);
        AssertEqual(padded, input * mask, "round trip");
        padded.sum().backward();
        AssertEqual(input.grad!, mask.expand(35, lengths.Length, 10), "gradient");
    }

    private static void AssertSequences(IList<Tensor> actual, IReadOnlyList<Tensor> expected)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Count));
        for (var i = 0; i < expected.Count; i++) AssertEqual(actual[i], expected[i], $"sequence {i}");
    }
}

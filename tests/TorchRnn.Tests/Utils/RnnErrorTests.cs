using System;
using System.Collections.Generic;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Utils;

/// <summary>
/// Bad input to nn.utils.rnn raises ArgumentException with PyTorch's message (checked on PyTorch 1.13 and against
/// 2.x's source), before any native call; where PyTorch fails silently, TorchRnn's own message.
/// </summary>
public class RnnErrorTests
{
    private const string Unsorted =
        "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass " +
        "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do " +
        "not need ONNX exportability.";

    private const string NonPositive =
        "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0";

    private static Tensor Longs(params long[] values) => torch.tensor(values);

    private static IEnumerable<TestCaseData> Cases()
    {
        TestCaseData Case(string name, TestDelegate call, string message) => new TestCaseData(call, message).SetArgDisplayNames(name);

        yield return Case("len(lengths) < batch", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 3), new long[] { 3, 2 }),
            "Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)");
        yield return Case("len(lengths) < batch, unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 3), Longs(3, 2), enforce_sorted: false),
            "Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)");
        yield return Case("len(lengths) > batch, batch first", () => nn.utils.rnn.pack_padded_sequence(torch.randn(2, 3), Longs(3, 2, 1), batch_first: true),
            "Expected `len(lengths)` to be equal to batch_size, but got 3 (batch_size=2)");
        yield return Case("zero length", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), new long[] { 3, 0 }), NonPositive);
        yield return Case("negative length, unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), new long[] { -1, 3 }, enforce_sorted: false), NonPositive);
        yield return Case("zero in the middle is unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 3), new long[] { 3, 0, 2 }), Unsorted);
        yield return Case("unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), Longs(2, 3)), Unsorted);
        yield return Case("pack_sequence unsorted", () => nn.utils.rnn.pack_sequence([torch.ones(1), torch.ones(2)]), Unsorted);
        yield return Case("pack_sequence empty member", () => nn.utils.rnn.pack_sequence([torch.ones(2), torch.ones(0)]), NonPositive);
        yield return Case("empty input", () => nn.utils.rnn.pack_padded_sequence(torch.randn(0, 2), Longs(1, 1)), "Cannot pack empty tensors.");
        yield return Case("empty batch", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 0), Array.Empty<long>()), "Cannot pack empty tensors.");
        yield return Case("pack_sequence all empty", () => nn.utils.rnn.pack_sequence([torch.ones(0), torch.ones(0)]), "Cannot pack empty tensors.");
        yield return Case("lengths 2-D", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), torch.tensor(new long[] { 3, 2 }).reshape(1, 2)),
            "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Long tensor");
        yield return Case("lengths 0-D", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), torch.tensor(3L)),
            "'lengths' argument should be a 1D CPU int64 tensor, but got 0D cpu Long tensor");
        yield return Case("lengths float", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), torch.tensor(new[] { 3f, 2f })),
            "'lengths' argument should be a 1D CPU int64 tensor, but got 1D cpu Float tensor");
        yield return Case("input 1-D", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3), Longs(3)),
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
        yield return Case("input 1-D, batch first, unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3), Longs(3), true, false),
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
        yield return Case("input 0-D", () => nn.utils.rnn.pack_padded_sequence(torch.tensor(1f), Longs(1)),
            "Dimension specified as 1 but tensor has no dimensions");
        yield return Case("length beyond the padding (TorchRnn)", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), Longs(5, 2)),
            "Expected every length to be at most the padded sequence length 3, but got a length of 5");
        foreach (var total in new long[] { -1, 0, 2 })
            yield return Case($"total_length {total}", () => nn.utils.rnn.pad_packed_sequence(nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), Longs(3, 2)), total_length: total),
                $"Expected total_length to be at least the length of the longest sequence in input, but got total_length={total} and max sequence length being 3");
        yield return Case("pad_packed padding_value overflow", () => nn.utils.rnn.pad_packed_sequence(nn.utils.rnn.pack_sequence([torch.ones(2, ScalarType.Int8), torch.ones(1, ScalarType.Int8)]), padding_value: 300),
            "value cannot be converted to type int8_t without overflow");
        yield return Case("pad_sequence empty", () => nn.utils.rnn.pad_sequence([]), "received an empty list of sequences");
        yield return Case("pack_sequence empty", () => nn.utils.rnn.pack_sequence([]), "received an empty list of sequences");
        yield return Case("pad_sequence 0-D", () => nn.utils.rnn.pad_sequence([torch.ones(2), torch.tensor(2f)]),
            "Dimension specified as 0 but tensor has no dimensions");
        yield return Case("pad_sequence trailing mismatch", () => nn.utils.rnn.pad_sequence([torch.ones(2, 3), torch.ones(2, 4)]),
            "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1");
        yield return Case("pad_sequence more dims", () => nn.utils.rnn.pad_sequence([torch.ones(2, 3), torch.ones(2, 1, 3)], batch_first: true),
            "output with shape [2, 3] doesn't match the broadcast shape [2, 2, 3]");
        yield return Case("pad_sequence 1-D then 2-D", () => nn.utils.rnn.pad_sequence([torch.ones(2), torch.ones(2, 3)]),
            "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1");
        yield return Case("padding_side", () => nn.utils.rnn.pad_sequence([torch.ones(2)], padding_side: "middle"),
            "Expected padding_side to be one of left or right, but got middle.");
        yield return Case("pad_sequence padding_value overflow", () => nn.utils.rnn.pad_sequence([torch.ones(2, ScalarType.Int32)], padding_value: 1e30),
            "value cannot be converted to type int without overflow");
        yield return Case("unpad 1-D", () => nn.utils.rnn.unpad_sequence(torch.ones(3), Longs(1)),
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
        yield return Case("unpad too few lengths (TorchRnn)", () => nn.utils.rnn.unpad_sequence(torch.ones(3, 2), Longs(1)),
            "Expected `len(lengths)` to be equal to batch_size, but got 1 (batch_size=2)");
        yield return Case("unpad float lengths (TorchRnn)", () => nn.utils.rnn.unpad_sequence(torch.ones(3, 2), torch.tensor(new[] { 1.5f, 2f })),
            "Expected `lengths` to be a 1D integer tensor, but got 1D cpu Float tensor");
        yield return Case("hand-made batch_sizes not int64", () => nn.utils.rnn.pad_packed_sequence(new PackedSequence(torch.ones(3), torch.tensor(new[] { 2, 1 }))),
            "'lengths' argument should be a 1D CPU int64 tensor, but got 1D cpu Int tensor");
        yield return Case("hand-made data too short (TorchRnn)", () => nn.utils.rnn.unpack_sequence(new PackedSequence(torch.ones(2), Longs(2, 1))),
            "Expected data to have sum(batch_sizes) = 3 rows, but got 2");
        yield return Case("hand-made batch_sizes increasing (TorchRnn)", () => nn.utils.rnn.unpack_sequence(new PackedSequence(torch.ones(3), Longs(1, 2))),
            "Expected batch_sizes to be positive and non-increasing, but got (1, 2)");
    }

    [TestCaseSource(nameof(Cases))]
    public void Function_BadInput_ThrowsArgumentExceptionWithPyTorchsMessage(TestDelegate call, string message)
    {
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(call);
        Assert.That(error!.Message, Does.StartWith(message));
    }

    [Test]
    public void PackPaddedSequence_LengthsOnCuda_ThrowsPyTorchsMessage()
    {
        if (!torch.cuda.is_available()) Assert.Ignore("no CUDA device");
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), Longs(3, 2).cuda()));
        Assert.That(error!.Message, Does.StartWith("'lengths' argument should be a 1D CPU int64 tensor, but got 1D cuda:0 Long tensor"));
    }

    [Test]
    public void PackedSequence_BatchSizesOnCuda_ThrowsPyTorchsMessage()
    {
        if (!torch.cuda.is_available()) Assert.Ignore("no CUDA device");
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => _ = new PackedSequence(torch.ones(3), Longs(2, 1).cuda()));
        Assert.That(error!.Message, Does.StartWith("batch_sizes should always be on CPU. Instances of PackedSequence should never be created manually."));
    }

    [Test]
    public void PackPaddedSequence_IntegerLengthsOfAnyWidth_AreAcceptedAsPyTorchConvertsThem(
        [Values(ScalarType.Int32, ScalarType.Int16, ScalarType.Byte)] ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        using var packed = nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), Longs(3, 2).to_type(dtype));
        Assert.That(packed.batch_sizes.data<long>().ToArray(), Is.EqualTo(new long[] { 2, 2, 1 }));
    }

    [Test]
    public void UnpadSequence_LengthsOutOfRange_BehaveAsPyTorchsMask()
    {
        using var scope = torch.NewDisposeScope();
        var sequences = nn.utils.rnn.unpad_sequence(torch.ones(3, 3), Longs(5, 0, -1));
        Assert.That(sequences, Has.Count.EqualTo(3));
        Assert.That(sequences[0].shape, Is.EqualTo(new long[] { 3 }), "a length past T gives T steps");
        Assert.That(sequences[1].shape, Is.EqualTo(new long[] { 0 }));
        Assert.That(sequences[2].shape, Is.EqualTo(new long[] { 0 }));
    }
}

using System;
using System.Collections.Generic;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Utils;

/// <summary>
/// Bad input to nn.utils.rnn raises ArgumentException before any native call, with the message tests/fixtures/errors.json
/// holds for the case: PyTorch 1.13's str(e), 2.x's wording (padding_side), or TorchRnn's own where PyTorch accepts the
/// call or fails deep inside it (each such case's note says why).
/// </summary>
public class RnnErrorTests
{
    private static Tensor Longs(params long[] values) => torch.tensor(values);

    private static IEnumerable<TestCaseData> Cases()
    {
        TestCaseData Case(string name, TestDelegate call) => new TestCaseData("utils/" + name, call).SetArgDisplayNames(name);

        yield return Case("len(lengths) < batch", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 3), new long[] { 3, 2 }));
        yield return Case("len(lengths) < batch, unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 3), Longs(3, 2), enforce_sorted: false));
        yield return Case("len(lengths) > batch, batch first", () => nn.utils.rnn.pack_padded_sequence(torch.randn(2, 3), Longs(3, 2, 1), batch_first: true));
        yield return Case("zero length", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), new long[] { 3, 0 }));
        yield return Case("negative length, unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), new long[] { -1, 3 }, enforce_sorted: false));
        yield return Case("zero in the middle is unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 3), new long[] { 3, 0, 2 }));
        yield return Case("unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), Longs(2, 3)));
        yield return Case("pack_sequence unsorted", () => nn.utils.rnn.pack_sequence([torch.ones(1), torch.ones(2)]));
        yield return Case("pack_sequence empty member", () => nn.utils.rnn.pack_sequence([torch.ones(2), torch.ones(0)]));
        yield return Case("empty input", () => nn.utils.rnn.pack_padded_sequence(torch.randn(0, 2), Longs(1, 1)));
        yield return Case("empty batch", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 0), Array.Empty<long>()));
        yield return Case("pack_sequence all empty", () => nn.utils.rnn.pack_sequence([torch.ones(0), torch.ones(0)]));
        yield return Case("lengths 2-D", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), torch.tensor(new long[] { 3, 2 }).reshape(1, 2)));
        yield return Case("lengths 0-D", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), torch.tensor(3L)));
        yield return Case("lengths float", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), torch.tensor(new[] { 3f, 2f })));
        yield return Case("input 1-D", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3), Longs(3)));
        yield return Case("input 1-D, batch first, unsorted", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3), Longs(3), true, false));
        yield return Case("input 0-D", () => nn.utils.rnn.pack_padded_sequence(torch.tensor(1f), Longs(1)));
        yield return Case("length beyond the padding", () => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), Longs(5, 2)));
        foreach (var total in new long[] { -1, 0, 2 })
            yield return Case($"total_length {total}", () => nn.utils.rnn.pad_packed_sequence(nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), Longs(3, 2)), total_length: total));
        yield return Case("pad_packed padding_value overflow", () => nn.utils.rnn.pad_packed_sequence(nn.utils.rnn.pack_sequence([torch.ones(2, ScalarType.Int8), torch.ones(1, ScalarType.Int8)]), padding_value: 300));
        yield return Case("pad_sequence empty", () => nn.utils.rnn.pad_sequence([]));
        yield return Case("pack_sequence empty", () => nn.utils.rnn.pack_sequence([]));
        yield return Case("pad_sequence 0-D", () => nn.utils.rnn.pad_sequence([torch.ones(2), torch.tensor(2f)]));
        yield return Case("pad_sequence trailing mismatch", () => nn.utils.rnn.pad_sequence([torch.ones(2, 3), torch.ones(2, 4)]));
        yield return Case("pad_sequence more dims", () => nn.utils.rnn.pad_sequence([torch.ones(2, 3), torch.ones(2, 1, 3)], batch_first: true));
        yield return Case("pad_sequence 1-D then 2-D", () => nn.utils.rnn.pad_sequence([torch.ones(2), torch.ones(2, 3)]));
        yield return Case("padding_side", () => nn.utils.rnn.pad_sequence([torch.ones(2)], padding_side: "middle"));
        yield return Case("pad_sequence padding_value overflow", () => nn.utils.rnn.pad_sequence([torch.ones(2, ScalarType.Int32)], padding_value: 1e30));
        yield return Case("unpad 1-D", () => nn.utils.rnn.unpad_sequence(torch.ones(3), Longs(1)));
        yield return Case("unpad too few lengths", () => nn.utils.rnn.unpad_sequence(torch.ones(3, 2), Longs(1)));
        yield return Case("unpad float lengths", () => nn.utils.rnn.unpad_sequence(torch.ones(3, 2), torch.tensor(new[] { 1.5f, 2f })));
        yield return Case("hand-made batch_sizes not int64", () => nn.utils.rnn.pad_packed_sequence(new PackedSequence(torch.ones(3), torch.tensor(new[] { 2, 1 }))));
        yield return Case("hand-made data too short", () => nn.utils.rnn.unpack_sequence(new PackedSequence(torch.ones(2), Longs(2, 1))));
        yield return Case("hand-made batch_sizes increasing", () => nn.utils.rnn.unpack_sequence(new PackedSequence(torch.ones(3), Longs(1, 2))));
    }

    [TestCaseSource(nameof(Cases))]
    public void Function_BadInput_ThrowsArgumentExceptionWithTheFixturesMessage(string name, TestDelegate call)
    {
        using var scope = torch.NewDisposeScope();
        Errors.Expect(name, Assert.Throws<ArgumentException>(call)!);
    }

    [Test]
    public void PackPaddedSequence_LengthsOnCuda_ThrowsPyTorchsMessage()
    {
        if (!torch.cuda.is_available()) Assert.Ignore("no CUDA device");
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2), Longs(3, 2).cuda()))!;
        var c = Errors.Case("utils/lengths on another device");
        Errors.Expect(c, error, c.MessageOn("cuda:0"));
    }

    [Test]
    public void PackedSequence_BatchSizesOnCuda_ThrowsPyTorchsMessage()
    {
        if (!torch.cuda.is_available()) Assert.Ignore("no CUDA device");
        using var scope = torch.NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => _ = new PackedSequence(torch.ones(3), Longs(2, 1).cuda()))!;
        var c = Errors.Case("utils/PackedSequence batch_sizes on another device");
        Errors.Expect(c, error, c.MessageOn("cuda:0"));
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

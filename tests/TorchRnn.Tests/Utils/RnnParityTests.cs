using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Utils;

/// <summary>
/// Every case of tests/fixtures/packed.json (made by real PyTorch with generate_packed.py), replayed with
/// nn.utils.rnn on every device: the same data, batch sizes, indices, padding, lengths, gradients and repr.
/// </summary>
public class RnnParityTests
{
    private static IEnumerable<TestCaseData> PackPaddedCases() => PackedFixtures.OnEveryDevice("pack_padded");
    private static IEnumerable<TestCaseData> PadPackedCases() => PackedFixtures.OnEveryDevice("pad_packed");
    private static IEnumerable<TestCaseData> PadSequenceCases() => PackedFixtures.OnEveryDevice("pad_sequence");
    private static IEnumerable<TestCaseData> PackSequenceCases() => PackedFixtures.OnEveryDevice("pack_sequence");
    private static IEnumerable<TestCaseData> UnpadSequenceCases() => PackedFixtures.OnEveryDevice("unpad_sequence");

    private static IEnumerable<TestCaseData> ReprCases()
        => PackedFixtures.Of("pack_padded").Concat(PackedFixtures.Of("pack_sequence"))
            .Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    [TestCaseSource(nameof(PackPaddedCases))]
    public void PackPaddedSequence_FixtureCase_MatchesPyTorch(PackedCase c, string deviceName)
    {
        using var scope = torch.NewDisposeScope();
        var device = torch.device(deviceName);
        var input = c.Tensor("input", device)!;
        using var packed = nn.utils.rnn.pack_padded_sequence(input, torch.tensor(c.Longs("lengths")), c.Flag("batch_first"), c.Flag("enforce_sorted"));
        AssertPacked(packed, c, device);
    }

    [TestCaseSource(nameof(PackPaddedCases))]
    public void PadPackedSequence_OfPackedFixture_MatchesPyTorchBothLayouts(PackedCase c, string deviceName)
    {
        using var scope = torch.NewDisposeScope();
        var device = torch.device(deviceName);
        using var packed = nn.utils.rnn.pack_padded_sequence(c.Tensor("input", device)!, c.Longs("lengths"), c.Flag("batch_first"), c.Flag("enforce_sorted"));
        foreach (var (batchFirst, field) in new[] { (false, "padded"), (true, "padded_batch_first") })
        {
            var (padded, lengths) = nn.utils.rnn.pad_packed_sequence(packed, batch_first: batchFirst);
            Expect.Identical(padded, c.Recorded(field)!, field);
            Assert.That(padded.device_type, Is.EqualTo(device.type), field + ": device");
            Expect.Identical(lengths, c.Recorded("padded_lengths")!, "lengths");
            Assert.That((lengths.device_type, lengths.dtype), Is.EqualTo((DeviceType.CPU, ScalarType.Int64)), "lengths: CPU int64");
        }
    }

    [TestCaseSource(nameof(PackPaddedCases))]
    public void PackThenPad_WeightedSum_GradientMatchesPyTorch(PackedCase c, string deviceName)
    {
        using var scope = torch.NewDisposeScope();
        var device = torch.device(deviceName);
        var input = c.Tensor("input", device, requiresGrad: true)!;
        using var packed = nn.utils.rnn.pack_padded_sequence(input, c.Longs("lengths"), c.Flag("batch_first"), c.Flag("enforce_sorted"));
        var (padded, _) = nn.utils.rnn.pad_packed_sequence(packed, batch_first: c.Flag("batch_first"));
        (padded * c.Tensor("weight", device)!).sum().backward();
        Expect.Identical(input.grad!, c.Recorded("input_grad")!, "grad of input");
    }

    [TestCaseSource(nameof(ReprCases))]
    public void ToString_FixturePacking_PrintsPyTorchRepr(PackedCase c)
    {
        using var scope = torch.NewDisposeScope();
        using var packed = c.Has("sequences")
            ? nn.utils.rnn.pack_sequence(c.Tensors("sequences", torch.CPU), c.Flag("enforce_sorted"))
            : nn.utils.rnn.pack_padded_sequence(c.Tensor("input", torch.CPU)!, c.Longs("lengths"), c.Flag("batch_first"), c.Flag("enforce_sorted"));
        Assert.That(packed.ToString(), Is.EqualTo(c.Text("repr")));
        Assert.That(Py.repr(packed), Is.EqualTo(c.Text("repr")));
    }

    [TestCaseSource(nameof(PadPackedCases))]
    public void PadPackedSequence_TotalLengthAndPaddingValue_MatchesPyTorch(PackedCase c, string deviceName)
    {
        using var scope = torch.NewDisposeScope();
        var device = torch.device(deviceName);
        using var packed = nn.utils.rnn.pack_padded_sequence(c.Tensor("input", device)!, c.Longs("lengths"), enforce_sorted: c.Flag("enforce_sorted"));
        var (padded, lengths) = nn.utils.rnn.pad_packed_sequence(packed, c.Flag("batch_first"), c.Number("padding_value"), c.OptionalLong("total_length"));
        Expect.Identical(padded, c.Recorded("padded")!, "padded");
        Expect.Identical(lengths, c.Recorded("padded_lengths")!, "lengths");
    }

    [TestCaseSource(nameof(PadSequenceCases))]
    public void PadSequence_FixtureCase_MatchesPyTorchWithGradients(PackedCase c, string deviceName)
    {
        using var scope = torch.NewDisposeScope();
        var device = torch.device(deviceName);
        var sequences = c.Tensors("sequences", device, requiresGrad: true);
        var padded = nn.utils.rnn.pad_sequence(sequences, c.Flag("batch_first"), c.Number("padding_value"), c.Text("padding_side"));
        Expect.Identical(padded, c.Recorded("padded")!, "padded");
        (padded * c.Tensor("weight", device)!).sum().backward();
        var grads = c.RecordedList("grads");
        for (var i = 0; i < sequences.Count; i++)
            Expect.Identical(sequences[i].grad!, grads[i], $"grad of sequence {i}");
    }

    [TestCaseSource(nameof(PackSequenceCases))]
    public void PackSequence_FixtureCase_MatchesPyTorchAndUnpacks(PackedCase c, string deviceName)
    {
        using var scope = torch.NewDisposeScope();
        var device = torch.device(deviceName);
        using var packed = nn.utils.rnn.pack_sequence(c.Tensors("sequences", device), c.Flag("enforce_sorted"));
        AssertPacked(packed, c, device);
        var unpacked = nn.utils.rnn.unpack_sequence(packed);
        var expected = c.RecordedList("unpacked");
        Assert.That(unpacked, Has.Count.EqualTo(expected.Count));
        for (var i = 0; i < expected.Count; i++)
            Expect.Identical(unpacked[i], expected[i], $"sequence {i}");
    }

    [TestCaseSource(nameof(UnpadSequenceCases))]
    public void UnpadSequence_FixtureCase_MatchesPyTorch(PackedCase c, string deviceName)
    {
        using var scope = torch.NewDisposeScope();
        var padded = c.Tensor("padded", torch.device(deviceName))!;
        var sequences = nn.utils.rnn.unpad_sequence(padded, torch.tensor(c.Longs("lengths")), c.Flag("batch_first"));
        var expected = c.RecordedList("sequences");
        Assert.That(sequences, Has.Count.EqualTo(expected.Count));
        for (var i = 0; i < expected.Count; i++)
            Expect.Identical(sequences[i], expected[i], $"sequence {i}");
        Expect.Identical(padded, c.Recorded("padded")!, "the padded tensor is unchanged");
    }

    private static void AssertPacked(PackedSequence packed, PackedCase c, Device device)
    {
        Expect.Identical(packed.data, c.Packed("data")!, "data");
        Assert.That(packed.data.device_type, Is.EqualTo(device.type), "data: device");
        Expect.Identical(packed.batch_sizes, c.Packed("batch_sizes")!, "batch_sizes");
        Assert.That((packed.batch_sizes.device_type, packed.batch_sizes.dtype), Is.EqualTo((DeviceType.CPU, ScalarType.Int64)), "batch_sizes: CPU int64");
        foreach (var (actual, field) in new[] { (packed.sorted_indices, "sorted_indices"), (packed.unsorted_indices, "unsorted_indices") })
        {
            var expected = c.Packed(field);
            Assert.That(actual is null, Is.EqualTo(expected is null), field + ": None in PyTorch");
            if (actual is null) continue;
            Expect.Identical(actual, expected!, field);
            Assert.That((actual.device_type, actual.dtype), Is.EqualTo((device.type, ScalarType.Int64)), field + ": int64 on the data's device");
        }
    }
}

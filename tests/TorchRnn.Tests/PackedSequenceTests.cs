using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests;

/// <summary>What PackedSequence promises beyond the fixtures: PyTorch's to/cpu/cuda, deconstruction, ownership, interop.</summary>
public class PackedSequenceTests
{
    /// <summary>The contract's example: pack_sequence([[4, 5], [6], [1, 2, 3]], enforce_sorted=False).</summary>
    private static PackedSequence Example(ScalarType dtype = ScalarType.Int64)
    {
        using var scope = torch.NewDisposeScope();
        var packed = nn.utils.rnn.pack_sequence(
            [torch.tensor(new[] { 4L, 5 }), torch.tensor(new[] { 6L }), torch.tensor(new[] { 1L, 2, 3 })], enforce_sorted: false);
        return packed.to(dtype).MoveToOuterDisposeScope();
    }

    private static long[] Longs(Tensor t) => t.cpu().data<long>().ToArray();

    [Test]
    public void PackSequence_ContractExample_HasPyTorchsFields()
    {
        using var packed = Example();
        var (data, batch_sizes, sorted_indices, unsorted_indices) = packed;
        Assert.That(Longs(data), Is.EqualTo(new long[] { 1, 4, 6, 2, 5, 3 }));
        Assert.That(Longs(batch_sizes), Is.EqualTo(new long[] { 3, 2, 1 }));
        Assert.That(Longs(sorted_indices!), Is.EqualTo(new long[] { 2, 0, 1 }));
        Assert.That(Longs(unsorted_indices!), Is.EqualTo(new long[] { 1, 2, 0 }));
        Assert.That(packed.is_cuda, Is.False);
    }

    [Test]
    public void To_SameDeviceAndDType_ReturnsTheSameObject()
    {
        using var packed = Example(ScalarType.Float32);
        Assert.That(packed.to(torch.CPU), Is.SameAs(packed));
        Assert.That(packed.to(ScalarType.Float32), Is.SameAs(packed));
        Assert.That(packed.cpu(), Is.SameAs(packed));
        Assert.That(packed.@float(), Is.SameAs(packed));
    }

    [Test]
    public void To_Float64_ConvertsDataOnlyAndSharesNothingToDispose()
    {
        var packed = Example(ScalarType.Float32);
        using var converted = packed.@double();
        packed.Dispose();
        Assert.That(converted.data.dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(converted.data.data<double>().ToArray(), Is.EqualTo(new double[] { 1, 4, 6, 2, 5, 3 }));
        Assert.That((converted.batch_sizes.dtype, converted.batch_sizes.device_type), Is.EqualTo((ScalarType.Int64, DeviceType.CPU)));
        Assert.That(converted.sorted_indices!.dtype, Is.EqualTo(ScalarType.Int64));
        Assert.That(Longs(converted.batch_sizes), Is.EqualTo(new long[] { 3, 2, 1 }), "still readable after the original is disposed");
        Assert.That(Longs(converted.unsorted_indices!), Is.EqualTo(new long[] { 1, 2, 0 }));
    }

    [TestCaseSource(typeof(Devices), nameof(Devices.Names))]
    public void To_Device_MovesDataAndIndicesButKeepsBatchSizesOnCpu(string deviceName)
    {
        var device = torch.device(deviceName);
        using var packed = Example(ScalarType.Float32);
        using var moved = packed.to(device);
        Assert.That(moved.data.device_type, Is.EqualTo(device.type));
        Assert.That(moved.sorted_indices!.device_type, Is.EqualTo(device.type));
        Assert.That(moved.unsorted_indices!.device_type, Is.EqualTo(device.type));
        Assert.That(moved.batch_sizes.device_type, Is.EqualTo(DeviceType.CPU));
        Assert.That(moved.is_cuda, Is.EqualTo(device.type == DeviceType.CUDA));
        using var back = moved.cpu();
        Assert.That(back.data.allclose(packed.data, 0, 0), Is.True);
    }

    [Test]
    public void Constructor_WithoutUnsortedIndices_InvertsSortedIndices()
    {
        using var packed = new PackedSequence(torch.tensor(new[] { 1L, 4, 6, 2, 5, 3 }), torch.tensor(new[] { 3L, 2, 1 }), torch.tensor(new[] { 2L, 0, 1 }));
        Assert.That(Longs(packed.unsorted_indices!), Is.EqualTo(new long[] { 1, 2, 0 }));
        Assert.That(Py.repr(packed), Is.EqualTo(
            "PackedSequence(data=tensor([1, 4, 6, 2, 5, 3]), batch_sizes=tensor([3, 2, 1]), sorted_indices=tensor([2, 0, 1]), unsorted_indices=tensor([1, 2, 0]))"));
    }

    [Test]
    public void ImplicitConversion_TorchSharpsPacking_EqualsTorchRnnsPacking([Values] bool enforce_sorted)
    {
        using var scope = torch.NewDisposeScope();
        var input = torch.randn(4, 3, 2);
        var lengths = enforce_sorted ? new long[] { 4, 3, 2 } : new long[] { 2, 4, 3 };
        using var native = torch.nn.utils.rnn.pack_padded_sequence(input, torch.tensor(lengths), enforce_sorted: enforce_sorted);
        using PackedSequence converted = native;
        using var ours = nn.utils.rnn.pack_padded_sequence(input, lengths, enforce_sorted: enforce_sorted);
        Assert.That(converted.data.allclose(ours.data, 0, 0), Is.True);
        Assert.That(Longs(converted.batch_sizes), Is.EqualTo(Longs(ours.batch_sizes)));
        Assert.That(converted.sorted_indices is null, Is.EqualTo(enforce_sorted));
        if (!enforce_sorted)
        {
            Assert.That(Longs(converted.sorted_indices!), Is.EqualTo(Longs(ours.sorted_indices!)));
            Assert.That(Longs(converted.unsorted_indices!), Is.EqualTo(Longs(ours.unsorted_indices!)));
        }
    }

    [Test]
    public void Modules_TorchSharpsPackedSequence_GiveWhatTorchRnnsPackingGives()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var lstm = nn.LSTM(2, 3, bidirectional: true);
        var input = torch.randn(4, 3, 2);
        var lengths = new long[] { 2, 4, 3 };
        using var native = torch.nn.utils.rnn.pack_padded_sequence(input, torch.tensor(lengths), enforce_sorted: false);
        var (fromNative, (h1, c1)) = lstm.call(native);
        var (fromOurs, (h2, c2)) = lstm.call(nn.utils.rnn.pack_padded_sequence(input, lengths, enforce_sorted: false));
        Assert.That(new[] { fromNative.data.allclose(fromOurs.data, 0, 0), h1.allclose(h2, 0, 0), c1.allclose(c2, 0, 0) }, Is.All.True);
    }

    [Test]
    public void Functions_ManyCallsInDisposeScopes_LeaveNoLiveTensors()
    {
        using var x = torch.randn(5, 3, 2);
        using var lengths = torch.tensor(new long[] { 3, 5, 1 });
        void Run()
        {
            using var scope = torch.NewDisposeScope();
            var input = x.detach().requires_grad_();
            var packed = nn.utils.rnn.pack_padded_sequence(input, lengths, enforce_sorted: false);
            var (padded, _) = nn.utils.rnn.pad_packed_sequence(packed, batch_first: true, total_length: 6);
            var sequences = nn.utils.rnn.unpack_sequence(packed);
            var repadded = nn.utils.rnn.pad_sequence(sequences, padding_side: "left");
            var unpadded = nn.utils.rnn.unpad_sequence(repadded, lengths);
            var repacked = nn.utils.rnn.pack_sequence(unpadded, enforce_sorted: false);
            (padded.sum() + repacked.data.sum()).backward();
        }
        Run();
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;
        for (var i = 0; i < 200; i++) Run();
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live));
    }
}

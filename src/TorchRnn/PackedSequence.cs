using System;
using TorchSharp;
using static TorchSharp.torch;
using NativePackedSequence = TorchSharp.torch.nn.utils.rnn.PackedSequence;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>torch.nn.utils.rnn.PackedSequence</c>: a batch of variable-length sequences stored time step by time
/// step, longest first, without padding. Made by <see cref="nn.utils.rnn.pack_padded_sequence(Tensor, Tensor, bool, bool)"/>
/// and <see cref="nn.utils.rnn.pack_sequence"/>; undone by <see cref="nn.utils.rnn.pad_packed_sequence"/>.
/// </summary>
/// <remarks>
/// <para>Shapes, with B = batch, T = longest length, * = any trailing dims, and N = the sum of all lengths:
/// <see cref="data"/> (N, *), <see cref="batch_sizes"/> (T), <see cref="sorted_indices"/> and
/// <see cref="unsorted_indices"/> (B). For data <c>abc</c> and <c>x</c> the data is <c>axbc</c> and the batch sizes
/// are <c>[2, 1, 1]</c>.</para>
/// <para>As in PyTorch, <see cref="batch_sizes"/> is always an int64 tensor on the CPU, and the indices live on the
/// data's device. The object owns its four tensors: <see cref="Dispose"/> disposes them.</para>
/// </remarks>
public sealed class PackedSequence : IDisposable
{
    /// <summary>
    /// Makes a PackedSequence from its parts, as PyTorch's constructor does. As in PyTorch, instances are meant to
    /// come from the packing functions; the new object takes ownership of the tensors given.
    /// </summary>
    /// <param name="data">The packed steps, (N, *).</param>
    /// <param name="batch_sizes">How many sequences are still running at each step, (T); int64 on the CPU.</param>
    /// <param name="sorted_indices">The batch order by decreasing length, (B), or null when the batch was already sorted.</param>
    /// <param name="unsorted_indices">The inverse permutation of <paramref name="sorted_indices"/>; computed from it when null.</param>
    /// <exception cref="ArgumentException"><paramref name="batch_sizes"/> is not on the CPU; PyTorch's message.</exception>
    /// <example>
    /// <code>
    /// var packed = new PackedSequence(torch.tensor(new[] { 1L, 4, 2, 3 }), torch.tensor(new[] { 2L, 1, 1 }));
    /// Py.print(packed); // PackedSequence(data=tensor([1, 4, 2, 3]), batch_sizes=tensor([2, 1, 1]), sorted_indices=None, unsorted_indices=None)
    /// </code>
    /// </example>
    public PackedSequence(Tensor data, Tensor batch_sizes, Tensor? sorted_indices = null, Tensor? unsorted_indices = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(batch_sizes);
        if (batch_sizes.device_type != DeviceType.CPU)
            throw new ArgumentException(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be created manually. " +
                "They should be instantiated by functions like pack_sequence and pack_padded_sequences in nn.utils.rnn. " +
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence", nameof(batch_sizes));
        this.data = data;
        this.batch_sizes = batch_sizes;
        this.sorted_indices = sorted_indices;
        this.unsorted_indices = unsorted_indices ?? (sorted_indices is null ? null : InvertPermutation(sorted_indices));
    }

    /// <summary>The packed steps, (N, *): step 0 of every sequence, then step 1 of those still running, and so on.</summary>
    public Tensor data { get; }

    /// <summary>The number of sequences running at each step, (T): int64, always on the CPU.</summary>
    public Tensor batch_sizes { get; }

    /// <summary>
    /// (B) int64 on the data's device: the original batch index of each packed column (batch order by decreasing
    /// length); null when the input was packed with <c>enforce_sorted: true</c>.
    /// </summary>
    public Tensor? sorted_indices { get; }

    /// <summary>(B): the inverse permutation of <see cref="sorted_indices"/>, which restores the original order; null with it.</summary>
    public Tensor? unsorted_indices { get; }

    /// <summary>Whether <see cref="data"/> is on a CUDA device.</summary>
    public bool is_cuda => data.device_type == DeviceType.CUDA;

    /// <summary>
    /// PyTorch's <c>PackedSequence.to(device)</c>: moves data and indices; <see cref="batch_sizes"/> stays on the CPU.
    /// </summary>
    /// <param name="device">The target device.</param>
    /// <returns>This object when the data is already there (as PyTorch returns <c>self</c>), otherwise a new one.</returns>
    /// <example><code>var onGpu = packed.to(torch.CUDA); // onGpu.batch_sizes is still on the CPU</code></example>
    public PackedSequence to(Device device) => to(data.dtype, device);

    /// <summary>PyTorch's <c>PackedSequence.to(dtype)</c>: converts the data only; indices and batch_sizes stay int64.</summary>
    /// <param name="dtype">The data's new dtype.</param>
    /// <returns>This object when the data already has that dtype, otherwise a new one.</returns>
    /// <example><code>var packed64 = packed.to(torch.float64);</code></example>
    public PackedSequence to(ScalarType dtype) => to(dtype, data.device);

    /// <summary>PyTorch's <c>PackedSequence.to(device, dtype)</c>: converts the data and moves it and the indices.</summary>
    /// <param name="dtype">The data's new dtype.</param>
    /// <param name="device">The target device.</param>
    /// <returns>This object when nothing changes, otherwise a new one that shares nothing with this one.</returns>
    /// <example><code>var moved = packed.to(torch.float64, torch.CUDA);</code></example>
    public PackedSequence to(ScalarType dtype, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var sameDevice = data.device_type == device.type && (device.index < 0 || data.device_index == device.index);
        if (sameDevice && data.dtype == dtype)
            return this;
        var moved = data.to(dtype, device);
        return new PackedSequence(moved, batch_sizes.alias(), sorted_indices?.to(moved.device), unsorted_indices?.to(moved.device));
    }

    /// <summary>PyTorch's <c>PackedSequence.cpu()</c>.</summary>
    /// <returns>This object when the data is on the CPU, otherwise a copy there.</returns>
    public PackedSequence cpu() => to(torch.CPU);

    /// <summary>PyTorch's <c>PackedSequence.cuda()</c>: to the current CUDA device; batch_sizes stays on the CPU.</summary>
    /// <returns>This object when the data is on CUDA, otherwise a copy there.</returns>
    public PackedSequence cuda() => to(torch.CUDA);

    /// <summary>PyTorch's <c>PackedSequence.float()</c>: the data as float32.</summary>
    /// <returns>This object when the data is float32, otherwise a converted copy.</returns>
    public PackedSequence @float() => to(ScalarType.Float32);

    /// <summary>PyTorch's <c>PackedSequence.double()</c>: the data as float64.</summary>
    /// <returns>This object when the data is float64, otherwise a converted copy.</returns>
    public PackedSequence @double() => to(ScalarType.Float64);

    /// <summary>Unpacks the four fields, as Python unpacks the namedtuple.</summary>
    /// <param name="data">See <see cref="data"/>.</param>
    /// <param name="batch_sizes">See <see cref="batch_sizes"/>.</param>
    /// <param name="sorted_indices">See <see cref="sorted_indices"/>.</param>
    /// <param name="unsorted_indices">See <see cref="unsorted_indices"/>.</param>
    /// <example><code>var (data, batch_sizes, sorted_indices, unsorted_indices) = packed;</code></example>
    public void Deconstruct(out Tensor data, out Tensor batch_sizes, out Tensor? sorted_indices, out Tensor? unsorted_indices)
    {
        data = this.data;
        batch_sizes = this.batch_sizes;
        sorted_indices = this.sorted_indices;
        unsorted_indices = this.unsorted_indices;
    }

    /// <summary>Moves the four tensors to the enclosing dispose scope, so the sequence outlives the current one.</summary>
    /// <returns>This object.</returns>
    public PackedSequence MoveToOuterDisposeScope()
    {
        data.MoveToOuterDisposeScope();
        batch_sizes.MoveToOuterDisposeScope();
        sorted_indices?.MoveToOuterDisposeScope();
        unsorted_indices?.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>
    /// PyTorch's repr: <c>PackedSequence(data=tensor([1, 4, 6, 2, 5, 3]), batch_sizes=tensor([3, 2, 1]),
    /// sorted_indices=tensor([2, 0, 1]), unsorted_indices=tensor([1, 2, 0]))</c>, each field as
    /// <see cref="Py.repr(object?)"/> prints it (absent indices as <c>None</c>).
    /// </summary>
    /// <returns>The repr, on one line unless a field's tensor repr spans several.</returns>
    public override string ToString()
        => $"PackedSequence(data={Py.repr(data)}, batch_sizes={Py.repr(batch_sizes)}, " +
           $"sorted_indices={Py.repr(sorted_indices)}, unsorted_indices={Py.repr(unsorted_indices)})";

    /// <summary>Disposes the four tensors.</summary>
    public void Dispose()
    {
        data.Dispose();
        batch_sizes.Dispose();
        sorted_indices?.Dispose();
        unsorted_indices?.Dispose();
    }

    /// <summary>PyTorch's <c>invert_permutation</c>: the inverse of a permutation, on its device.</summary>
    internal static Tensor InvertPermutation(Tensor permutation)
    {
        using var scope = NewDisposeScope();
        var positions = torch.arange(permutation.numel(), ScalarType.Int64, permutation.device);
        return torch.empty_like(permutation).scatter_(0, permutation, positions).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Takes TorchSharp's own PackedSequence (from <c>torch.nn.utils.rnn.pack_padded_sequence</c> or
    /// <c>pack_sequence</c>) where TorchRnn's is expected, so that TorchSharp's packing feeds TorchRnn's modules.
    /// </summary>
    /// <param name="native">TorchSharp's packed sequence.</param>
    /// <returns>
    /// A TorchRnn PackedSequence with new handles to the same four tensors (TorchSharp's undefined indices become null):
    /// gradients flow to <paramref name="native"/>'s data, and both objects can be disposed independently.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="native"/> is null.</exception>
    public static implicit operator PackedSequence(NativePackedSequence native) => FromTorchSharp(native);

    /// <summary>
    /// A TorchRnn PackedSequence holding new handles to the tensors of TorchSharp's <paramref name="native"/>
    /// (whose undefined indices become null); the caller still disposes <paramref name="native"/>.
    /// </summary>
    internal static PackedSequence FromTorchSharp(NativePackedSequence native)
    {
        ArgumentNullException.ThrowIfNull(native);
        static Tensor? Optional(Tensor? t) => t is null || t.IsInvalid ? null : t.alias();
        return new PackedSequence(native.data.alias(), native.batch_sizes.alias(), Optional(native.sorted_indices),
            Optional(native.unsorted_indices));
    }
}

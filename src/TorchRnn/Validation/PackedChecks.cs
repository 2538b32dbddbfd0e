using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Printing;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Validation;

/// <summary>
/// The checks of <c>torch.nn.utils.rnn</c> (Python and ATen's PackedSequence.cpp), with PyTorch 2.x's wording, run
/// before any native call. Where PyTorch checks nothing and then fails natively or silently, the rule and its
/// message are TorchRnn's and say so.
/// </summary>
internal static class PackedChecks
{
    /// <summary>ATen's first check in <c>_pack_padded_sequence</c>.</summary>
    public static void NotEmpty(Tensor input)
    {
        if (input.numel() == 0)
            throw new ArgumentException("Cannot pack empty tensors.", nameof(input));
    }

    /// <summary>
    /// ATen's <c>checkLongTensor</c> on <c>lengths</c>. PyTorch converts any lengths tensor to int64 first, so an
    /// integer tensor is accepted here; a floating-point or bool one (which PyTorch would truncate) is refused.
    /// </summary>
    public static void LengthsTensor(Tensor lengths, string paramName = "lengths")
    {
        var integer = IsInteger(lengths.dtype);
        if (lengths.dim() != 1 || lengths.device_type != DeviceType.CPU || !integer)
            throw new ArgumentException(
                $"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D " +
                $"{TensorFormatter.DeviceName(lengths)} {Checks.NativeDType(integer ? ScalarType.Int64 : lengths.dtype)} tensor",
                paramName);
    }

    /// <summary>ATen's <c>checkLongTensor</c> on a PackedSequence's <c>batch_sizes</c> (its message says 'lengths').</summary>
    public static void BatchSizes(Tensor batch_sizes, string paramName = "sequence")
    {
        if (batch_sizes.dim() != 1 || batch_sizes.device_type != DeviceType.CPU || batch_sizes.dtype != ScalarType.Int64)
            throw new ArgumentException(
                $"'lengths' argument should be a 1D CPU int64 tensor, but got {batch_sizes.dim()}D " +
                $"{TensorFormatter.DeviceName(batch_sizes)} {Checks.NativeDType(batch_sizes.dtype)} tensor", paramName);
    }

    /// <summary>
    /// The checks every consumer of a PackedSequence makes first (the modules' packed forward, <c>pad_packed_sequence</c>):
    /// its <c>batch_sizes</c> alive and 1-D CPU int64, read to the host once.
    /// </summary>
    /// <returns>The batch sizes and B, the first of them (0 for an empty sequence).</returns>
    public static (long[] BatchSizes, long Batch) Sequence(PackedSequence sequence, string paramName = "sequence")
    {
        Checks.Live(sequence.batch_sizes, paramName);
        BatchSizes(sequence.batch_sizes, paramName);
        var sizes = sequence.batch_sizes.data<long>().ToArray();
        return (sizes, sizes.Length == 0 ? 0 : sizes[0]);
    }

    /// <summary>Both index tensors of a PackedSequence with B = <paramref name="batch"/> (<see cref="Indices(Tensor?, long, string, string)"/>).</summary>
    public static void Indices(PackedSequence sequence, long batch, string paramName = "sequence")
    {
        Indices(sequence.sorted_indices, batch, "sorted_indices", paramName);
        Indices(sequence.unsorted_indices, batch, "unsorted_indices", paramName);
    }

    /// <summary>
    /// The padded input needs a time and a batch dimension: ATen's messages for <c>size(1)</c> / <c>transpose(0, 1)</c>
    /// on a 0-D or 1-D tensor.
    /// </summary>
    public static void TimeAndBatchDims(Tensor input, string paramName)
    {
        if (input.dim() == 0)
            throw new ArgumentException("Dimension specified as 1 but tensor has no dimensions", paramName);
        if (input.dim() == 1)
            throw new ArgumentException("Dimension out of range (expected to be in range of [-1, 0], but got 1)", paramName);
    }

    /// <summary>
    /// ATen's checks of the lengths in <c>_pack_padded_sequence</c>, in its order: count, the last (shortest) length,
    /// sortedness. <paramref name="lengths"/> is in the order ATen sees it (sorted when enforce_sorted is false).
    /// </summary>
    public static void Lengths(IReadOnlyList<long> lengths, long batch_size)
    {
        if (lengths.Count != batch_size)
            throw new ArgumentException(
                $"Expected `len(lengths)` to be equal to batch_size, but got {lengths.Count} (batch_size={batch_size})", nameof(lengths));
        if (lengths[^1] <= 0)
            throw new ArgumentException(
                "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0", nameof(lengths));
        for (var i = 1; i < lengths.Count; i++)
        {
            if (lengths[i] > lengths[i - 1])
                throw new ArgumentException(
                    "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass " +
                    "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement " +
                    "if you do not need ONNX exportability.", nameof(lengths));
        }
    }

    /// <summary>
    /// TorchRnn's own check: PyTorch packs a length longer than the padded input without complaint, into a
    /// PackedSequence whose batch_sizes claim rows its data lacks.
    /// </summary>
    public static void LengthsFitInput(long longest, long padded_length)
    {
        if (longest > padded_length)
            throw new ArgumentException(
                $"Expected every length to be at most the padded sequence length {padded_length}, but got a length of {longest}", "lengths");
    }

    /// <summary>pad_packed_sequence's check (ValueError in PyTorch).</summary>
    public static void TotalLength(long total_length, long max_sequence_length)
    {
        if (total_length < max_sequence_length)
            throw new ArgumentException(
                "Expected total_length to be at least the length of the longest sequence in input, but got " +
                $"total_length={total_length} and max sequence length being {max_sequence_length}", nameof(total_length));
    }

    /// <summary>
    /// TorchRnn's own check of a PackedSequence built by hand: batch_sizes positive, non-increasing, and summing to
    /// the rows of data (PyTorch fails in a view, or reads past the end, when they do not).
    /// </summary>
    public static void Consistent(long[] batch_sizes, long dataRows, string paramName = "sequence")
    {
        var sum = 0L;
        for (var t = 0; t < batch_sizes.Length; t++)
        {
            if (batch_sizes[t] <= 0 || (t > 0 && batch_sizes[t] > batch_sizes[t - 1]))
                throw new ArgumentException(
                    $"Expected batch_sizes to be positive and non-increasing, but got {TensorFormatter.PythonTuple(batch_sizes)}", paramName);
            sum += batch_sizes[t];
        }
        if (sum != dataRows)
            throw new ArgumentException(
                $"Expected data to have sum(batch_sizes) = {sum} rows, but got {dataRows}", paramName);
    }

    /// <summary>
    /// TorchRnn's own check of a PackedSequence's <c>sorted_indices</c> or <c>unsorted_indices</c>, which PyTorch
    /// uses unchecked (a wrong index fails natively in index_select): a 1-D integer tensor of B indices in [0, B).
    /// </summary>
    public static void Indices(Tensor? indices, long batch, string which, string paramName = "sequence")
    {
        if (indices is null) return;
        Checks.Live(indices, paramName);
        if (indices.dim() != 1 || indices.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException(
                $"Expected {which} to be a 1D int64 tensor, but got {indices.dim()}D {Checks.NativeDType(indices.dtype)} tensor", paramName);
        if (indices.shape[0] != batch)
            throw new ArgumentException($"Expected {which} to have batch_sizes[0] = {batch} elements, but got {indices.shape[0]}", paramName);
        if (batch == 0) return;
        using var min = indices.min();
        using var max = indices.max();
        if (min.ToInt64() < 0 || max.ToInt64() >= batch)
            throw new ArgumentException(
                $"Expected {which} to hold indices in [0, {batch}), but got {min.ToInt64()} to {max.ToInt64()}", paramName);
    }

    /// <summary>pad_sequence: ATen's empty-list check, then <c>size(0)</c> of each sequence.</summary>
    public static void Sequences(IReadOnlyList<Tensor> sequences)
    {
        if (sequences.Count == 0)
            throw new ArgumentException("received an empty list of sequences", nameof(sequences));
        if (sequences.Any(s => s is null))
            throw new ArgumentNullException(nameof(sequences), "sequences holds a null tensor");
        if (sequences.Any(s => s.dim() == 0))
            throw new ArgumentException("Dimension specified as 0 but tensor has no dimensions", nameof(sequences));
    }

    /// <summary>ATen's check of pad_sequence's padding_side (PyTorch 2.x).</summary>
    public static void PaddingSide(string padding_side)
    {
        if (padding_side != "left" && padding_side != "right")
            throw new ArgumentException($"Expected padding_side to be one of left or right, but got {padding_side}.", nameof(padding_side));
    }

    /// <summary>
    /// pad_sequence copies each sequence into a slot of shape (L_i, *) where * are the first sequence's trailing
    /// dims; <c>copy_</c> broadcasts, with TensorIterator's messages when it cannot.
    /// </summary>
    public static void Broadcastable(long[] slot, long[] source)
    {
        var dims = Math.Max(slot.Length, source.Length);
        var result = new long[dims];
        for (var i = dims - 1; i >= 0; i--)
        {
            var offset = dims - 1 - i;
            var a = slot.Length - 1 - offset >= 0 ? slot[slot.Length - 1 - offset] : 1;
            var b = source.Length - 1 - offset >= 0 ? source[source.Length - 1 - offset] : 1;
            if (a != b && a != 1 && b != 1)
                throw new ArgumentException(
                    $"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton dimension {i}", "sequences");
            result[i] = a == 1 ? b : a;
        }
        if (!result.SequenceEqual(slot))
            throw new ArgumentException(
                $"output with shape [{string.Join(", ", slot)}] doesn't match the broadcast shape [{string.Join(", ", result)}]", "sequences");
    }

    /// <summary>
    /// <c>at::full</c>'s check that the padding value fits the dtype (c10's <c>checked_convert</c>), so that
    /// TorchSharp's native full never throws.
    /// </summary>
    public static void FillValue(double value, ScalarType dtype)
    {
        var (fits, name) = dtype switch
        {
            ScalarType.Byte => (value >= byte.MinValue && value <= byte.MaxValue, "uint8_t"),
            ScalarType.Int8 => (value >= sbyte.MinValue && value <= sbyte.MaxValue, "int8_t"),
            ScalarType.Int16 => (value >= short.MinValue && value <= short.MaxValue, "int16_t"),
            ScalarType.Int32 => (value >= int.MinValue && value <= int.MaxValue, "int"),
            ScalarType.Int64 => (value >= long.MinValue && value < 9223372036854775808.0, "int64_t"),
            ScalarType.Float32 => (!double.IsFinite(value) || Math.Abs(value) <= float.MaxValue, "float"),
            ScalarType.Float16 => (!double.IsFinite(value) || Math.Abs(value) <= 65504.0, "at::Half"),
            ScalarType.BFloat16 => (!double.IsFinite(value) || Math.Abs(value) <= 3.3895313892515355e38, "at::BFloat16"),
            _ => (true, ""),
        };
        if (!fits)
            throw new ArgumentException($"value cannot be converted to type {name} without overflow", "padding_value");
    }

    /// <summary>
    /// unpad_sequence's lengths: TorchRnn refuses what PyTorch's zip would silently truncate (a count that differs
    /// from the batch) and non-integer lengths.
    /// </summary>
    public static void UnpadLengths(Tensor lengths, long batch_size)
    {
        if (lengths.dim() != 1 || !IsInteger(lengths.dtype))
            throw new ArgumentException(
                $"Expected `lengths` to be a 1D integer tensor, but got {lengths.dim()}D {TensorFormatter.DeviceName(lengths)} " +
                $"{Checks.NativeDType(lengths.dtype)} tensor", nameof(lengths));
        if (lengths.shape[0] != batch_size)
            throw new ArgumentException(
                $"Expected `len(lengths)` to be equal to batch_size, but got {lengths.shape[0]} (batch_size={batch_size})", nameof(lengths));
    }

    private static bool IsInteger(ScalarType dtype)
        => dtype is ScalarType.Byte or ScalarType.Int8 or ScalarType.Int16 or ScalarType.Int32 or ScalarType.Int64;
}

using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

public static partial class nn
{
    /// <summary>PyTorch's <c>torch.nn.utils</c>: the helpers of recurrent layers.</summary>
    public static partial class utils
    {
        /// <summary>
        /// PyTorch's <c>torch.nn.utils.rnn</c>: packing and padding batches of variable-length sequences.
        /// </summary>
        /// <remarks>
        /// Shapes: B = batch, T = longest length, * = any trailing dims (none included), L_i = the length of sequence i.
        /// Every function validates its arguments first, with PyTorch 2.x's messages, and raises
        /// <see cref="ArgumentException"/> rather than a native exception. Results are built from differentiable
        /// operations (index_select, cat), so gradients flow through packing and padding. No function changes the
        /// tensors it is given.
        /// </remarks>
        public static class rnn
        {
            /// <summary>
            /// Packs a padded batch of variable-length sequences into a <see cref="PackedSequence"/>, as PyTorch's
            /// <c>pack_padded_sequence</c>.
            /// </summary>
            /// <param name="input">(T, B, *), or (B, T, *) when <paramref name="batch_first"/>; at least two dims.</param>
            /// <param name="lengths">(B) the length of each sequence: a 1-D integer tensor on the CPU (converted to int64).</param>
            /// <param name="batch_first">Whether <paramref name="input"/> is (B, T, *).</param>
            /// <param name="enforce_sorted">
            /// When true the lengths must already be in decreasing order and the result has no indices; when false the
            /// batch is sorted by <c>torch.sort(lengths, descending: true)</c> and the result carries
            /// <see cref="PackedSequence.sorted_indices"/> and <see cref="PackedSequence.unsorted_indices"/>.
            /// </param>
            /// <returns>
            /// The packed batch: data (sum of lengths, *) on the input's device, batch_sizes (max length) int64 on the CPU.
            /// </returns>
            /// <exception cref="ArgumentException">
            /// The input is empty or has fewer than two dims; lengths is not a 1-D integer CPU tensor, does not have B
            /// entries, has a length of 0 or less, is unsorted while <paramref name="enforce_sorted"/>, or exceeds T
            /// (TorchRnn's check; PyTorch builds a broken sequence). PyTorch's messages.
            /// </exception>
            /// <example>
            /// <code>
            /// var seq = torch.tensor(new long[,] { { 1, 2, 0 }, { 3, 0, 0 }, { 4, 5, 6 } });
            /// var packed = nn.utils.rnn.pack_padded_sequence(seq, torch.tensor(new long[] { 2, 1, 3 }), batch_first: true, enforce_sorted: false);
            /// Py.print(packed); // PackedSequence(data=tensor([4, 1, 3, 5, 2, 6]), batch_sizes=tensor([3, 2, 1]), sorted_indices=tensor([2, 0, 1]), unsorted_indices=tensor([1, 2, 0]))
            /// </code>
            /// </example>
            public static PackedSequence pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first = false, bool enforce_sorted = true)
            {
                ArgumentNullException.ThrowIfNull(input);
                ArgumentNullException.ThrowIfNull(lengths);
                PackedChecks.NotEmpty(input);
                PackedChecks.LengthsTensor(lengths);
                return Pack(input, HostLongs(lengths), batch_first, enforce_sorted);
            }

            /// <summary>
            /// <see cref="pack_padded_sequence(Tensor, Tensor, bool, bool)"/> with the lengths as a list, as PyTorch
            /// accepts a Python list.
            /// </summary>
            /// <param name="input">(T, B, *), or (B, T, *) when <paramref name="batch_first"/>.</param>
            /// <param name="lengths">The B lengths.</param>
            /// <param name="batch_first">Whether <paramref name="input"/> is (B, T, *).</param>
            /// <param name="enforce_sorted">Whether the lengths must already be in decreasing order.</param>
            /// <returns>The packed batch, as the tensor overload returns it.</returns>
            /// <exception cref="ArgumentException">As the tensor overload.</exception>
            /// <example>
            /// <code>
            /// var packed = nn.utils.rnn.pack_padded_sequence(torch.randn(5, 3, 8), new long[] { 5, 3, 2 });
            /// Py.print(packed.batch_sizes); // tensor([3, 3, 2, 1, 1])
            /// </code>
            /// </example>
            public static PackedSequence pack_padded_sequence(Tensor input, long[] lengths, bool batch_first = false, bool enforce_sorted = true)
            {
                ArgumentNullException.ThrowIfNull(input);
                ArgumentNullException.ThrowIfNull(lengths);
                PackedChecks.NotEmpty(input);
                return Pack(input, lengths, batch_first, enforce_sorted);
            }

            /// <summary>
            /// Pads a packed batch back into a tensor, as PyTorch's <c>pad_packed_sequence</c>: the inverse of
            /// <see cref="pack_padded_sequence(Tensor, Tensor, bool, bool)"/>, in the batch's original order.
            /// </summary>
            /// <param name="sequence">The packed batch.</param>
            /// <param name="batch_first">Whether the result is (B, T, *) rather than (T, B, *).</param>
            /// <param name="padding_value">The value of the padded positions (converted to the data's dtype).</param>
            /// <param name="total_length">When given, the result's time dimension is this long instead of T.</param>
            /// <returns>
            /// <c>padded</c>, (T, B, *) or (B, T, *) with T = <paramref name="total_length"/> when given, on the data's
            /// device; and <c>lengths</c>, (B) int64 on the CPU, both in the order the batch had before packing.
            /// </returns>
            /// <exception cref="ArgumentException">
            /// <paramref name="total_length"/> is shorter than the longest sequence, or <paramref name="padding_value"/>
            /// does not fit the dtype (PyTorch's messages); or the PackedSequence was built by hand inconsistently.
            /// </exception>
            /// <example>
            /// <code>
            /// var packed = nn.utils.rnn.pack_sequence(new[] { torch.tensor(new[] { 1L, 2, 3 }), torch.tensor(new[] { 4L }) });
            /// var (padded, lengths) = nn.utils.rnn.pad_packed_sequence(packed, batch_first: true, total_length: 4);
            /// Py.print(padded);  // tensor([[1, 2, 3, 0],
            ///                    //         [4, 0, 0, 0]])
            /// Py.print(lengths); // tensor([3, 1])
            /// </code>
            /// </example>
            public static (Tensor padded, Tensor lengths) pad_packed_sequence(PackedSequence sequence, bool batch_first = false,
                double padding_value = 0.0, long? total_length = null)
            {
                ArgumentNullException.ThrowIfNull(sequence);
                var layout = Layout.Of(sequence);
                var steps = layout.Steps;
                if (total_length is long total)
                {
                    PackedChecks.TotalLength(total, steps);
                    steps = total;
                }
                PackedChecks.FillValue(padding_value, sequence.data.dtype);
                using var scope = NewDisposeScope();
                var order = layout.OriginalOrder(sequence);
                var padded = layout.Pad(sequence.data, order, steps, batch_first, padding_value);
                var lengths = torch.tensor(order.Select(j => layout.Lengths[j]).ToArray());
                return (padded.MoveToOuterDisposeScope(), lengths.MoveToOuterDisposeScope());
            }

            /// <summary>
            /// Pads a list of variable-length sequences into one tensor, as PyTorch's <c>pad_sequence</c>.
            /// </summary>
            /// <param name="sequences">B tensors of shape (L_i, *). Each is copied into a (L_i, *) slot shaped by the first
            /// sequence's trailing dims, broadcasting as PyTorch's <c>copy_</c> does, and converted to the first
            /// sequence's dtype and device.</param>
            /// <param name="batch_first">Whether the result is (B, T, *) rather than (T, B, *).</param>
            /// <param name="padding_value">The value of the padded positions.</param>
            /// <param name="padding_side"><c>right</c> (sequences start at step 0) or <c>left</c> (they end at step T - 1); PyTorch 2.x.</param>
            /// <returns>(T, B, *), or (B, T, *) when <paramref name="batch_first"/>, with T the longest length.</returns>
            /// <exception cref="ArgumentException">
            /// The list is empty, a sequence is 0-D or does not broadcast to its slot, padding_side is unknown, or
            /// <paramref name="padding_value"/> does not fit the dtype; PyTorch's messages.
            /// </exception>
            /// <example>
            /// <code>
            /// var padded = nn.utils.rnn.pad_sequence(new[] { torch.ones(25, 300), torch.ones(22, 300), torch.ones(15, 300) });
            /// Py.print(padded.shape); // torch.Size([25, 3, 300])
            /// </code>
            /// </example>
            public static Tensor pad_sequence(IEnumerable<Tensor> sequences, bool batch_first = false, double padding_value = 0.0,
                string padding_side = "right")
            {
                ArgumentNullException.ThrowIfNull(sequences);
                ArgumentNullException.ThrowIfNull(padding_side);
                var list = sequences.ToList();
                PackedChecks.Sequences(list);
                var first = list[0];
                var trailing = first.shape.Skip(1).ToArray();
                var lengths = list.Select(s => s.shape[0]).ToArray();
                var steps = lengths.Max();
                PackedChecks.FillValue(padding_value, first.dtype);
                PackedChecks.PaddingSide(padding_side);
                for (var i = 0; i < list.Count; i++)
                    PackedChecks.Broadcastable([lengths[i], .. trailing], list[i].shape);

                using var scope = NewDisposeScope();
                var rows = torch.cat(list.Select((s, i) => s.expand([lengths[i], .. trailing]).to(first.dtype, first.device)).ToList(), 0);
                var batch = list.Count;
                var index = new long[steps * batch];
                var offset = 0L;
                for (var i = 0; i < batch; i++)
                {
                    var start = padding_side == "left" ? steps - lengths[i] : 0;
                    for (var t = 0L; t < steps; t++)
                        index[Position(t, i, steps, batch, batch_first)] = t >= start && t < start + lengths[i] ? offset + t - start : -1;
                    offset += lengths[i];
                }
                long[] shape = batch_first ? [batch, steps, .. trailing] : [steps, batch, .. trailing];
                return GatherRows(rows, index, padding_value).reshape(shape).MoveToOuterDisposeScope();
            }

            /// <summary>
            /// Packs a list of variable-length sequences, as PyTorch's <c>pack_sequence</c>: <see cref="pad_sequence"/>
            /// then <see cref="pack_padded_sequence(Tensor, long[], bool, bool)"/>.
            /// </summary>
            /// <param name="sequences">B tensors of shape (L_i, *).</param>
            /// <param name="enforce_sorted">When true the sequences must come longest first; when false they are sorted.</param>
            /// <returns>The packed batch.</returns>
            /// <exception cref="ArgumentException">
            /// As <see cref="pad_sequence"/> and <see cref="pack_padded_sequence(Tensor, long[], bool, bool)"/>: an empty
            /// list, an empty sequence, or unsorted lengths with <paramref name="enforce_sorted"/>; PyTorch's messages.
            /// </exception>
            /// <example>
            /// <code>
            /// var packed = nn.utils.rnn.pack_sequence(new[] { torch.tensor(new[] { 4L, 5 }), torch.tensor(new[] { 6L }), torch.tensor(new[] { 1L, 2, 3 }) }, enforce_sorted: false);
            /// Py.print(packed); // PackedSequence(data=tensor([1, 4, 6, 2, 5, 3]), batch_sizes=tensor([3, 2, 1]), sorted_indices=tensor([2, 0, 1]), unsorted_indices=tensor([1, 2, 0]))
            /// </code>
            /// </example>
            public static PackedSequence pack_sequence(IEnumerable<Tensor> sequences, bool enforce_sorted = true)
            {
                ArgumentNullException.ThrowIfNull(sequences);
                var list = sequences.ToList();
                PackedChecks.Sequences(list);
                using var scope = NewDisposeScope();
                var padded = pad_sequence(list);
                return pack_padded_sequence(padded, list.Select(s => s.shape[0]).ToArray(), enforce_sorted: enforce_sorted)
                    .MoveToOuterDisposeScope();
            }

            /// <summary>
            /// Splits a padded batch into its sequences, as PyTorch's <c>unpad_sequence</c>; unlike PyTorch, the padded
            /// tensor is left as it was (PyTorch transposes it in place when <paramref name="batch_first"/> is false).
            /// </summary>
            /// <param name="padded_sequences">(T, B, *), or (B, T, *) when <paramref name="batch_first"/>.</param>
            /// <param name="lengths">(B) integer lengths, on any device. As in PyTorch, a length above T gives T steps and
            /// one of 0 or less gives none.</param>
            /// <param name="batch_first">Whether <paramref name="padded_sequences"/> is (B, T, *).</param>
            /// <returns>B new tensors (L_i, *), in batch order.</returns>
            /// <exception cref="ArgumentException">
            /// The padded tensor has fewer than two dims (PyTorch's message), or lengths is not a 1-D integer tensor with B
            /// entries (TorchRnn's check: PyTorch would silently drop the sequences past the shorter of the two).
            /// </exception>
            /// <example>
            /// <code>
            /// var sequences = new[] { torch.ones(25, 300), torch.ones(22, 300), torch.ones(15, 300) };
            /// var padded = nn.utils.rnn.pad_sequence(sequences);
            /// var unpadded = nn.utils.rnn.unpad_sequence(padded, torch.tensor(new long[] { 25, 22, 15 }));
            /// Py.print(unpadded[1].shape); // torch.Size([22, 300])
            /// </code>
            /// </example>
            public static IList<Tensor> unpad_sequence(Tensor padded_sequences, Tensor lengths, bool batch_first = false)
            {
                ArgumentNullException.ThrowIfNull(padded_sequences);
                ArgumentNullException.ThrowIfNull(lengths);
                PackedChecks.TimeAndBatchDims(padded_sequences, nameof(padded_sequences));
                var batchDim = batch_first ? 0 : 1;
                var steps = padded_sequences.shape[1 - batchDim];
                PackedChecks.UnpadLengths(lengths, padded_sequences.shape[batchDim]);
                var host = HostLongs(lengths);
                using var scope = NewDisposeScope();
                return host.Select((length, b) => padded_sequences.select(batchDim, b)
                        .narrow(0, 0, Math.Clamp(length, 0, steps)).clone().MoveToOuterDisposeScope())
                    .ToList();
            }

            /// <summary>Splits a packed batch into its sequences, as PyTorch's <c>unpack_sequence</c>.</summary>
            /// <param name="packed_sequences">The packed batch.</param>
            /// <returns>B new tensors (L_i, *), in the batch's original order.</returns>
            /// <exception cref="ArgumentException">The PackedSequence was built by hand inconsistently.</exception>
            /// <example>
            /// <code>
            /// var packed = nn.utils.rnn.pack_sequence(new[] { torch.tensor(new[] { 1L, 2, 3 }), torch.tensor(new[] { 4L, 5 }), torch.tensor(new[] { 6L }) });
            /// var sequences = nn.utils.rnn.unpack_sequence(packed);
            /// Py.print(sequences[1]); // tensor([4, 5])
            /// </code>
            /// </example>
            public static IList<Tensor> unpack_sequence(PackedSequence packed_sequences)
            {
                ArgumentNullException.ThrowIfNull(packed_sequences);
                var layout = Layout.Of(packed_sequences);
                using var scope = NewDisposeScope();
                return layout.OriginalOrder(packed_sequences)
                    .Select(j => GatherRows(packed_sequences.data, layout.RowsOf(j), 0.0).MoveToOuterDisposeScope())
                    .ToList();
            }

            /// <summary>PyTorch's pack_padded_sequence once the lengths are on the host.</summary>
            private static PackedSequence Pack(Tensor input, long[] lengths, bool batch_first, bool enforce_sorted)
            {
                PackedChecks.TimeAndBatchDims(input, nameof(input));
                var steps = input.shape[batch_first ? 1 : 0];
                var batch = input.shape[batch_first ? 0 : 1];
                using var scope = NewDisposeScope();
                Tensor? sorted = null;
                var order = Enumerable.Range(0, lengths.Length).Select(i => (long)i).ToArray();
                if (!enforce_sorted)
                {
                    // torch.sort itself, so that ties come out in PyTorch's order.
                    sorted = torch.sort(torch.tensor(lengths), descending: true).indices;
                    order = sorted.data<long>().ToArray();
                }
                var sortedLengths = order.Select(i => lengths[i]).ToArray();
                PackedChecks.Lengths(sortedLengths, batch);
                PackedChecks.LengthsFitInput(sortedLengths[0], steps);

                var batchSizes = new long[sortedLengths[0]];
                var index = new List<long>();
                for (var t = 0L; t < batchSizes.Length; t++)
                {
                    for (var j = 0; j < order.Length && sortedLengths[j] > t; j++)
                    {
                        batchSizes[t]++;
                        index.Add(batch_first ? order[j] * steps + t : t * batch + order[j]);
                    }
                }
                var flat = input.reshape([steps * batch, .. input.shape.Skip(2)]);
                var data = GatherRows(flat, [.. index], 0.0);
                var sortedIndices = sorted?.to(input.device);
                var packed = new PackedSequence(data, torch.tensor(batchSizes), sortedIndices);
                return packed.MoveToOuterDisposeScope();
            }

            /// <summary>Where step t of batch entry b sits in a flattened (T, B) or (B, T) tensor.</summary>
            private static long Position(long t, long b, long steps, long batch, bool batch_first)
                => batch_first ? b * steps + t : t * batch + b;

            /// <summary>
            /// rows.index_select(0, index), where an index of -1 selects a row of <paramref name="padding_value"/>: one
            /// differentiable gather for every packing and padding here.
            /// </summary>
            private static Tensor GatherRows(Tensor rows, long[] index, double padding_value)
            {
                using var scope = NewDisposeScope();
                var source = rows;
                if (index.Contains(-1))
                {
                    var padRow = torch.full([1, .. rows.shape.Skip(1)], padding_value, rows.dtype, rows.device);
                    source = torch.cat([rows, padRow], 0);
                    var padAt = rows.shape[0];
                    index = index.Select(i => i < 0 ? padAt : i).ToArray();
                }
                return source.index_select(0, torch.tensor(index, device: rows.device)).MoveToOuterDisposeScope();
            }

            /// <summary>The values of a 1-D integer tensor, as int64, on the host.</summary>
            private static long[] HostLongs(Tensor values)
            {
                using var scope = NewDisposeScope();
                return values.numel() == 0 ? [] : values.cpu().to_type(ScalarType.Int64).contiguous().data<long>().ToArray();
            }

            /// <summary>Where each sequence's steps sit in a PackedSequence's data, read from its batch_sizes.</summary>
            private sealed class Layout
            {
                private readonly long[] offsets;

                private Layout(long[] batchSizes)
                {
                    Steps = batchSizes.Length;
                    Batch = Steps == 0 ? 0 : batchSizes[0];
                    offsets = new long[Steps];
                    Lengths = new long[Batch];
                    for (var t = 1; t < Steps; t++) offsets[t] = offsets[t - 1] + batchSizes[t - 1];
                    for (var j = 0; j < Batch; j++) Lengths[j] = batchSizes.Count(size => size > j);
                }

                /// <summary>T, the longest length.</summary>
                public long Steps { get; }

                /// <summary>B.</summary>
                public long Batch { get; }

                /// <summary>The lengths in packed (decreasing) order.</summary>
                public long[] Lengths { get; }

                public static Layout Of(PackedSequence sequence)
                {
                    var (sizes, batch) = PackedChecks.Sequence(sequence);
                    PackedChecks.Consistent(sizes, sequence.data.dim() == 0 ? 1 : sequence.data.shape[0]);
                    PackedChecks.Indices(sequence, batch);
                    return new Layout(sizes);
                }

                /// <summary>For each original batch entry, its packed column: unsorted_indices, or the identity.</summary>
                public long[] OriginalOrder(PackedSequence sequence)
                    => sequence.unsorted_indices is null
                        ? Enumerable.Range(0, (int)Batch).Select(j => (long)j).ToArray()
                        : HostLongs(sequence.unsorted_indices);

                /// <summary>The data rows of packed column j, step by step.</summary>
                public long[] RowsOf(long j)
                {
                    var rows = new long[Lengths[j]];
                    for (var t = 0; t < rows.Length; t++) rows[t] = offsets[t] + j;
                    return rows;
                }

                /// <summary>The padded tensor whose batch entry b is packed column order[b].</summary>
                public Tensor Pad(Tensor data, long[] order, long steps, bool batch_first, double padding_value)
                {
                    var index = new long[steps * order.Length];
                    for (var b = 0; b < order.Length; b++)
                    {
                        var j = order[b];
                        for (var t = 0L; t < steps; t++)
                            index[Position(t, b, steps, order.Length, batch_first)] = t < Lengths[j] ? offsets[t] + j : -1;
                    }
                    var trailing = data.shape.Skip(1);
                    long[] shape = batch_first ? [order.Length, steps, .. trailing] : [steps, order.Length, .. trailing];
                    return GatherRows(data, index, padding_value).reshape(shape);
                }
            }
        }
    }
}

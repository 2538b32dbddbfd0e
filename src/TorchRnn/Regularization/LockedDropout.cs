using System;
using System.Linq;
using TorchRnn.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Regularization
{
    /// <summary>
    /// AWD-LSTM's <c>LockedDropout</c> (salesforce/awd-lstm-lm, BSD-3; Gal and Ghahramani's variational dropout): one
    /// Bernoulli mask per sequence and feature, shared by every time step, where <c>nn.Dropout</c> draws one per element.
    /// </summary>
    /// <remarks>
    /// <para>Shapes, with N = batch, L = sequence length, H = features: input and output (L, N, H), or (N, L, H) when
    /// <see cref="batch_first"/>; the mask is (1, N, H), applied as (N, 1, H) when batch-first. A
    /// <see cref="PackedSequence"/> gets the mask its padded (L, N, H) batch would get, each step's rows multiplied by
    /// their sequences' rows.</para>
    /// <para>RNG: in training with dropout p &gt; 0, one <c>bernoulli_(1 - p)</c> of (1, N, H) in the input's dtype and
    /// device, as awd's <c>x.data.new(1, N, H).bernoulli_(1 - p)</c>, the same for all three layouts; so after
    /// <c>torch.manual_seed(s)</c> the mask, and every later draw, equal awd's. In eval mode, or at p = 0, nothing
    /// is drawn. Kept elements are scaled by 1 / (1 - p); at p = 1, where awd's code divides 0 by 0, the output is
    /// zeros, as <c>F.dropout</c>'s is.</para>
    /// <para>On Intel CPUs LibTorch's MKL build draws Bernoulli masks on another path than PyTorch's default one, so
    /// the masks there differ from those of a PyTorch without MKL for the same seed (the scaling and sharing do not).</para>
    /// </remarks>
    public sealed class LockedDropout : torch.nn.Module<Tensor, double, Tensor>, IExtraRepr
    {
        internal LockedDropout(bool batch_first) : base(nameof(LockedDropout)) => this.batch_first = batch_first;

        /// <summary>Whether tensor input and output are (N, L, H) rather than (L, N, H).</summary>
        public bool batch_first { get; }

        /// <summary>Applies one time-shared dropout mask to a padded batch of sequences.</summary>
        /// <param name="x">(L, N, H), or (N, L, H) when <see cref="batch_first"/>.</param>
        /// <param name="dropout">The probability p of zeroing a (sequence, feature) pair, in [0, 1].</param>
        /// <returns>
        /// <paramref name="x"/>'s shape: in training, <c>mask / (1 - p) * x</c> with one (1, N, H) mask (N, 1, H when
        /// batch-first) for every step; in eval mode or at p = 0 a new handle to <paramref name="x"/> itself (PyTorch
        /// returns <c>x</c>), so that disposing the result never disposes the caller's tensor.
        /// </returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropout"/> is outside [0, 1]; <c>F.dropout</c>'s message.</exception>
        /// <exception cref="ArgumentNullException"><paramref name="x"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="x"/> is not 3-D.</exception>
        public override Tensor forward(Tensor x, double dropout = 0.5)
        {
            Checks.DropoutProbability(dropout);
            ArgumentNullException.ThrowIfNull(x);
            if (x.dim() != 3)
                throw new ArgumentException($"LockedDropout: Expected input to be 3D, got {x.dim()}D instead", nameof(x));
            if (!training || dropout == 0) return x.alias();
            using var scope = torch.NewDisposeScope();
            var (n, h) = (x.shape[batch_first ? 0 : 1], x.shape[2]);
            var mask = Mask([n, h], dropout, x);
            // awd's (L, N, H) mask, the same draws, laid along batch_first's dims.
            if (batch_first) mask = mask.view(n, 1, h);
            return (mask.expand_as(x) * x).MoveToOuterDisposeScope();
        }

        /// <summary>Runs <see cref="forward(Tensor, double)"/> with the module's hooks, as calling the module does in PyTorch.</summary>
        /// <param name="x">(L, N, H), or (N, L, H) when <see cref="batch_first"/>.</param>
        /// <param name="dropout">The probability p of zeroing a (sequence, feature) pair, in [0, 1].</param>
        /// <returns>What <see cref="forward(Tensor, double)"/> returns.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropout"/> is outside [0, 1]; <c>F.dropout</c>'s message.</exception>
        /// <exception cref="ArgumentNullException"><paramref name="x"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="x"/> is not 3-D.</exception>
        public new Tensor call(Tensor x, double dropout = 0.5) => base.call(x, dropout);

        /// <summary>
        /// Applies one time-shared dropout mask to a batch of variable-length sequences: the mask the padded batch
        /// would get, each packed row multiplied by its sequence's row of it. The padding is never touched.
        /// </summary>
        /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H) data.</param>
        /// <param name="dropout">The probability p of zeroing a (sequence, feature) pair, in [0, 1].</param>
        /// <returns>
        /// In training a new PackedSequence, packed like <paramref name="input"/> (its batch sizes and indices as new
        /// handles), with (sum of lengths, H) data; in eval mode or at p = 0 <paramref name="input"/> itself, as PyTorch
        /// returns it.
        /// </returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropout"/> is outside [0, 1]; <c>F.dropout</c>'s message.</exception>
        /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
        /// <exception cref="ArgumentException">
        /// The sequence is inconsistent (batch sizes not 1-D CPU int64, not positive and non-increasing, not summing to
        /// the data's rows, indices of the wrong length).
        /// </exception>
        public PackedSequence forward(PackedSequence input, double dropout = 0.5)
        {
            Checks.DropoutProbability(dropout);
            ArgumentNullException.ThrowIfNull(input);
            if (!training || dropout == 0) return input;
            var (sizes, batch) = PackedChecks.Sequence(input, nameof(input));
            PackedChecks.Consistent(sizes, input.data.shape[0], nameof(input));
            PackedChecks.Indices(input, batch, nameof(input));
            using var scope = torch.NewDisposeScope();
            var data = input.data;
            var rows = Mask([batch, .. data.shape.Skip(1)], dropout, data)[0];
            // Packed column j of a step is the sequence sorted_indices[j] of the padded batch.
            if (input.sorted_indices is { } sorted) rows = rows.index_select(0, sorted);
            var steps = sizes.SelectMany(b => Enumerable.Range(0, (int)b).Select(j => (long)j)).ToArray();
            var index = torch.tensor(steps, device: data.device);
            var output = rows.index_select(0, index) * data;
            return new PackedSequence(output, input.batch_sizes.alias(), input.sorted_indices?.alias(), input.unsorted_indices?.alias())
                .MoveToOuterDisposeScope();
        }

        /// <summary>Runs <see cref="forward(PackedSequence, double)"/> with the module-level hooks (those typed on a tensor cannot take a packed input).</summary>
        /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H) data.</param>
        /// <param name="dropout">The probability p of zeroing a (sequence, feature) pair, in [0, 1].</param>
        /// <returns>What <see cref="forward(PackedSequence, double)"/> returns.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropout"/> is outside [0, 1]; <c>F.dropout</c>'s message.</exception>
        /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
        /// <exception cref="ArgumentException">As <see cref="forward(PackedSequence, double)"/>.</exception>
        public PackedSequence call(PackedSequence input, double dropout = 0.5)
        {
            foreach (var hook in module_pre_hooks.Values) hook(this);
            var result = forward(input, dropout);
            foreach (var hook in module_post_hooks.Values) hook(this);
            return result;
        }

        /// <summary>The options that differ from their defaults, as PyTorch's <c>extra_repr</c> lists them.</summary>
        /// <returns>Empty (awd's module prints <c>LockedDropout()</c>), or <c>batch_first=True</c>.</returns>
        public string extra_repr() => batch_first ? "batch_first=True" : "";

        /// <summary>PyTorch's repr of the module: <c>LockedDropout()</c>, or <c>LockedDropout(batch_first=True)</c>.</summary>
        /// <returns>What <see cref="Py.repr(object?)"/> prints for the module.</returns>
        public override string ToString() => Py.repr(this);

        /// <summary>
        /// awd's draw, <c>like.new(1, *shape).bernoulli_(1 - p)</c>, divided by 1 - p: (1, *shape). At p = 1 the zeros
        /// are kept undivided (awd's 0 / 0 is NaN), the draw made all the same so the generator moves as awd's does.
        /// </summary>
        private static Tensor Mask(long[] shape, double dropout, Tensor like)
        {
            var kept = 1 - dropout;
            var m = torch.empty([1, .. shape], like.dtype, like.device).bernoulli_(kept);
            return kept > 0 ? m / kept : m;
        }
    }
}

namespace TorchRnn
{
    using TorchRnn.Regularization;

    public static partial class nn
    {
        /// <summary>
        /// Creates AWD-LSTM's variational dropout (<see cref="Regularization.LockedDropout"/>): one mask per sequence
        /// and feature, shared across the time steps.
        /// </summary>
        /// <param name="batch_first">Whether tensor input and output are (N, L, H) rather than (L, N, H).</param>
        /// <returns>The module; the probability is given per call, as awd's <c>forward(x, dropout=0.5)</c> takes it.</returns>
        /// <example>
        /// <code>
        /// var lockdrop = nn.LockedDropout();
        /// var output = lockdrop.call(torch.randn(35, 10, 400), dropout: 0.3); // (L, N, H); one (1, N, H) mask
        /// </code>
        /// </example>
        public static LockedDropout LockedDropout(bool batch_first = false) => new(batch_first);
    }
}

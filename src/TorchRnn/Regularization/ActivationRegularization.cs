using System;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

public static partial class nn
{
    public static partial class functional
    {
        /// <summary>
        /// AWD-LSTM's activation regularisation (AR; salesforce/awd-lstm-lm's main.py, BSD-3): alpha times the mean
        /// square of the last layer's output after its dropout, which keeps the activations small.
        /// </summary>
        /// <param name="dropped_output">The last layer's dropped output, any shape: (L, N, H) in awd's model.</param>
        /// <param name="alpha">The weight α (awd's <c>--alpha</c>, 2 by default there).</param>
        /// <returns>A scalar tensor, <c>alpha * dropped_output.pow(2).mean()</c>, differentiable; NaN for an empty input, as in PyTorch.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="dropped_output"/> is null.</exception>
        /// <example>
        /// <code>
        /// var loss = criterion.call(output, targets)
        ///     + nn.functional.activation_regularization(dropped_output, alpha: 2)
        ///     + nn.functional.temporal_activation_regularization(raw_output, beta: 1);
        /// </code>
        /// </example>
        public static Tensor activation_regularization(Tensor dropped_output, double alpha)
        {
            ArgumentNullException.ThrowIfNull(dropped_output);
            using var scope = torch.NewDisposeScope();
            return (dropped_output.pow(2).mean() * alpha).MoveToOuterDisposeScope();
        }

        /// <summary>
        /// AWD-LSTM's temporal activation regularisation (TAR, slowness; salesforce/awd-lstm-lm's main.py, BSD-3): beta
        /// times the mean square of the difference between consecutive time steps of the last layer's raw output
        /// (before its dropout), which keeps the hidden state from changing fast.
        /// </summary>
        /// <param name="raw_output">The last layer's output before dropout: (L, N, H), or (N, L, H) when <paramref name="batch_first"/>.</param>
        /// <param name="beta">The weight β (awd's <c>--beta</c>, 1 by default there).</param>
        /// <param name="batch_first">Whether the time axis is dim 1 rather than dim 0.</param>
        /// <returns>
        /// A scalar tensor, <c>beta * (raw[1:] - raw[:-1]).pow(2).mean()</c> along the time axis, differentiable; NaN for
        /// a single step (no differences), as in PyTorch.
        /// </returns>
        /// <exception cref="ArgumentNullException"><paramref name="raw_output"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="raw_output"/> has no time axis (0-D, or 1-D when batch-first).</exception>
        /// <example>
        /// <code>
        /// var (raw_output, _) = lstm.call(emb);                                                 // (L, N, H)
        /// var tar = nn.functional.temporal_activation_regularization(raw_output, beta: 1);   // scalar
        /// </code>
        /// </example>
        public static Tensor temporal_activation_regularization(Tensor raw_output, double beta, bool batch_first = false)
        {
            ArgumentNullException.ThrowIfNull(raw_output);
            var time = batch_first ? 1 : 0;
            if (raw_output.dim() <= time)
                throw new ArgumentException(
                    $"temporal_activation_regularization: Expected raw_output to have a time axis at dim {time}, got {raw_output.dim()}D instead", nameof(raw_output));
            using var scope = torch.NewDisposeScope();
            var steps = raw_output.shape[time];
            var change = raw_output.slice(time, 1, steps, 1) - raw_output.slice(time, 0, Math.Max(steps - 1, 0), 1);
            return (change.pow(2).mean() * beta).MoveToOuterDisposeScope();
        }
    }
}

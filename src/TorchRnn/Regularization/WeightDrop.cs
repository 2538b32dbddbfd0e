using System;
using System.Collections.Generic;
using System.Linq;
using TorchRnn.Printing;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Regularization
{
    /// <summary>
    /// DropConnect on a recurrent module's weights (Wan et al. 2013), as AWD-LSTM's <c>WeightDrop</c> applies it
    /// (salesforce/awd-lstm-lm, <c>weight_drop.py</c>): before every forward in training each named weight is replaced
    /// by a dropped copy of itself, a new mask per forward; in eval the plain weights. The wrapped module keeps its
    /// fused whole-sequence kernel: only the values of a weight change, once per forward, not per step.
    /// </summary>
    /// <remarks>
    /// <para>As in awd-lstm-lm, each named weight (say <c>weight_hh_l0</c>) is no longer a parameter of the module:
    /// its values live in a new parameter <c>weight_hh_l0_raw</c>, registered last, which the optimiser trains and
    /// <c>state_dict</c> saves (keys <c>module.weight_hh_l0_raw</c>). Before each forward the module's weight becomes
    /// <c>F.dropout(raw, dropout, training)</c> (raw * mask / (1 - p), one Bernoulli draw per weight in the order
    /// given), and gradients reach the raw parameter through it.</para>
    /// <para>The dropped weight is written into the tensor the kernels hold, in place (their references cannot be
    /// swapped for a new tensor). So a training forward's graph must be backpropagated before the next forward
    /// with gradients, as every training loop does; backward after a later forward raises LibTorch's "modified by
    /// an inplace operation". Forwards under <c>torch.no_grad()</c> may come in between.</para>
    /// <para>The masks are <c>F.dropout</c>'s, drawn from the default generator as LibTorch draws them: on the CPU, for
    /// float32 and float64 weights, the Bernoulli draw runs in managed code (ATen's is a serial loop of about 11 ns an
    /// element, most of a training forward's extra time), once a check in the process has found it gives LibTorch's
    /// masks and generator state to the bit; elsewhere, and where that check fails, <c>F.dropout</c> draws them.</para>
    /// <para>Unlike awd-lstm-lm, the module survives train -> eval -> train (awd's HEAD raises TypeError there, its
    /// issue #114), and <see cref="variational"/> draws only in training (awd's draws in eval too).</para>
    /// </remarks>
    public sealed class WeightDrop : torch.nn.Module<Tensor, HiddenState?, (Tensor output, HiddenState h_n)>, IExtraRepr
    {
        private readonly RNNBase _module;
        private readonly string[] _weights;

        internal WeightDrop(RNNBase module, IEnumerable<string> weights, double dropout, bool variational)
            : base(nameof(WeightDrop))
        {
            ArgumentNullException.ThrowIfNull(module);
            ArgumentNullException.ThrowIfNull(weights);
            if (double.IsNaN(dropout) || dropout < 0 || dropout > 1)
                throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {PythonFloat.Repr(dropout)}", nameof(dropout));
            _weights = weights.ToArray();
            if (_weights.Length == 0) throw new ArgumentException("WeightDrop needs at least one weight to drop.", nameof(weights));
            foreach (var name in _weights)
            {
                if (name is null || module.KernelParameter(name) is null)
                    throw new ArgumentException($"'{module.GetName()}' object has no attribute '{name}'", nameof(weights));
                if (module.IsDropped(name))
                    throw new ArgumentException($"{module.GetName()}'s {name} is dropped already (by another WeightDrop, or named twice).", nameof(weights));
            }
            _module = module;
            this.dropout = dropout;
            this.variational = variational;
            foreach (var name in _weights) module.DetachKernelParameter(name);
            register_module("module", module);
        }

        /// <summary>The wrapped module.</summary>
        public RNNBase module => _module;

        /// <summary>The names of the dropped weights, in the order their masks are drawn.</summary>
        public IReadOnlyList<string> weights => _weights;

        /// <summary>The probability of dropping each weight (each row, when <see cref="variational"/>).</summary>
        public double dropout { get; }

        /// <summary>Whether one mask entry drops a whole row of a weight (awd's <c>variational</c>) rather than each entry.</summary>
        public bool variational { get; }

        /// <summary>Sets the dropped weights, then runs the module.</summary>
        /// <param name="input">As the module takes it: (L, N, H_in), (N, L, H_in) when batch-first, or (L, H_in).</param>
        /// <param name="hx">The initial state, as the module takes it; zeros when null.</param>
        /// <returns>The module's <c>(output, h_n)</c>.</returns>
        /// <exception cref="ArgumentException">As the module's forward.</exception>
        /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
        public override (Tensor output, HiddenState h_n) forward(Tensor input, HiddenState? hx = null)
        {
            SetWeights();
            return _module.call(input, hx);
        }

        /// <summary>Runs <see cref="forward(Tensor, HiddenState?)"/> with the hooks, as calling the module does in PyTorch.</summary>
        /// <param name="input">As the module takes it.</param>
        /// <param name="hx">The initial state; zeros when omitted.</param>
        /// <returns>The module's <c>(output, h_n)</c>.</returns>
        /// <exception cref="ArgumentException">As the module's forward.</exception>
        /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
        public new (Tensor output, HiddenState h_n) call(Tensor input, HiddenState? hx = null) => base.call(input, hx);

        /// <summary>Sets the dropped weights, then runs the module over packed sequences.</summary>
        /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H_in) data.</param>
        /// <param name="hx">The initial state in the batch's original order; zeros when null.</param>
        /// <returns>The module's packed output and <c>h_n</c>.</returns>
        /// <exception cref="ArgumentException">As the module's packed forward.</exception>
        /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
        public (PackedSequence output, HiddenState h_n) forward(PackedSequence input, HiddenState? hx = null)
        {
            SetWeights();
            return _module.call(input, hx);
        }

        /// <summary>Runs <see cref="forward(PackedSequence, HiddenState?)"/>; the module's packed hooks run.</summary>
        /// <param name="input">A <see cref="PackedSequence"/>.</param>
        /// <param name="hx">The initial state; zeros when omitted.</param>
        /// <returns>The module's packed output and <c>h_n</c>.</returns>
        /// <exception cref="ArgumentException">As the module's packed forward.</exception>
        /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
        public (PackedSequence output, HiddenState h_n) call(PackedSequence input, HiddenState? hx = null) => forward(input, hx);

        /// <summary>awd's options: the weights and the probability.</summary>
        /// <returns>For example <c>weights=['weight_hh_l0'], dropout=0.5</c>.</returns>
        public string extra_repr()
        {
            var names = string.Join(", ", _weights.Select(n => Py.repr(n)));
            var text = $"weights=[{names}], dropout={PythonFloat.Repr(dropout)}";
            return variational ? text + ", variational=True" : text;
        }

        /// <summary>PyTorch's repr: <c>WeightDrop(weights=[...], dropout=0.5\n  (module): LSTM(...)\n)</c>.</summary>
        /// <returns>The repr.</returns>
        public override string ToString() => Py.repr(this);

        /// <summary>
        /// Each weight = dropout of its raw parameter (in eval: the raw values), written into the kernels' tensor,
        /// tracked by autograd. TorchRnn.Onnx calls it before reading the module's weights.
        /// </summary>
        internal void SetWeights()
        {
            for (var i = 0; i < _weights.Length; i++)
            {
                using var scope = torch.NewDisposeScope();
                // Looked up each time: to() gives the kernels new tensors.
                var kernel = _module.KernelParameter(_weights[i])!;
                var raw = _module.get_parameter(_weights[i] + RecurrentModule<(Tensor, HiddenState)>.RawSuffix)!;
                // Last forward's history goes first: the new value depends on raw alone, and a graph left linked to the
                // last forward's (freed by its backward) could not be walked again.
                kernel.detach_();
                kernel.copy_(Dropped(raw));
            }
        }

        private Tensor Dropped(Tensor raw)
        {
            if (!variational) return BernoulliDraw.Dropout(raw, dropout, training);
            if (!training || dropout == 0) return raw;
            // One entry per row, broadcast over the columns: awd's mask of ones (rows, 1) through F.dropout.
            using var ones = torch.ones(raw.shape[0], 1, dtype: raw.dtype, device: raw.device);
            return BernoulliDraw.Dropout(ones, dropout, training: true) * raw;
        }
    }
}

namespace TorchRnn
{
    using TorchRnn.Regularization;

    public static partial class nn
    {
        /// <summary>
        /// Wraps a recurrent module in AWD-LSTM's DropConnect (<see cref="Regularization.WeightDrop"/>): in training,
        /// the named weights are dropped anew before every forward; in eval the module runs with its plain weights.
        /// </summary>
        /// <param name="module">Any TorchRnn sequence module: <c>LSTM</c>, <c>GRU</c>, <c>RNN</c> or a <see cref="nn.Recurrent"/> kind.</param>
        /// <param name="weights">The weights to drop, by the module's names: awd drops <c>weight_hh_l0</c> (and each layer's).</param>
        /// <param name="dropout">The probability of dropping each entry (each row, when <paramref name="variational"/>).</param>
        /// <param name="variational">Whether one mask entry drops a whole row of a weight.</param>
        /// <returns>The wrapper; <paramref name="module"/> is its child <c>module</c>, whose named weights are now parameters <c>name_raw</c>.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="weights"/> is null.</exception>
        /// <exception cref="ArgumentException">
        /// <paramref name="dropout"/> outside [0, 1] (F.dropout's message), no weights, a name the module has no
        /// parameter of (Python's AttributeError wording), or a weight dropped already.
        /// </exception>
        /// <example>
        /// <code>
        /// var lstm = nn.WeightDrop(nn.LSTM(400, 1150), ["weight_hh_l0"], dropout: 0.5);
        /// var (output, (h_n, c_n)) = lstm.call(torch.randn(70, 80, 400));
        /// </code>
        /// </example>
        public static WeightDrop WeightDrop(RNNBase module, IEnumerable<string> weights, double dropout = 0, bool variational = false)
            => new(module, weights, dropout, variational);
    }
}

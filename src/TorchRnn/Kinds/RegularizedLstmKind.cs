using System;
using System.Collections.Generic;
using TorchRnn.Engines;
using TorchRnn.Printing;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Kinds
{
    /// <summary>
    /// PyTorch's LSTM regularised inside the recurrence, as the PyTorch twin <c>RegularizedLSTM</c>
    /// (tests/fixtures/zoneout_lstm.py) computes it: Gal and Ghahramani's variational recurrent dropout on h (Keras's
    /// <c>LSTM(recurrent_dropout=p)</c>, one mask for the four gates) and zoneout on h as haste's LSTM applies it.
    /// </summary>
    /// <remarks>
    /// <para>Per layer and direction, with nn.LSTM's parameters: gates = x W_ih^T + b_ih + (h_{t-1} * r) W_hh^T + b_hh,
    /// split i, f, g, o; c_t = σ(f) c_{t-1} + σ(i) tanh(g); h~ = σ(o) tanh(c_t); in training with zoneout p > 0,
    /// h_t = (h~ - h_{t-1}) * z_t + h_{t-1}; in eval h_t = p h_{t-1} + (1 - p) h~ (zoneout's expectation); with p = 0,
    /// h_t = h~. The cell state c is never zoned out. In eval, or with both probabilities 0, there is no draw, and with
    /// zoneout 0 the module is nn.LSTM.</para>
    /// <para>Masks, drawn in training only, with the input's dtype and device, per layer and direction (forward, then
    /// reverse), before that direction runs: the recurrent mask r = <c>torch.empty(N, H).bernoulli_(1 - p).div_(1 - p)</c>
    /// (one for the whole sequence; it multiplies h_{t-1}, h_0 included, before the W_hh product only), then the zoneout
    /// mask z = <c>torch.empty(L, N, H).bernoulli_(1 - p)</c> (1 takes the new value, 0 keeps the old; z_t = z[t] for
    /// the step at time position t, in the reverse direction too). Dropout between layers follows each layer, as nn.LSTM
    /// draws it. Packed input draws with N = the first batch size and L = the number of steps and uses the first
    /// batch_sizes[t] rows at step t (the twin takes dense input only, so this has no fixture).</para>
    /// <para>A cell module (<see cref="nn.RegularizedLSTMCell"/>) is one step a call: in training each call draws its
    /// own masks, so its recurrent dropout is per step, not one mask per sequence.</para>
    /// <para>Parameters: nn.LSTM's, under its names (<c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>)
    /// and drawn as it draws them, so the same seed gives nn.LSTM's weights and the same <c>state_dict</c> keys.</para>
    /// </remarks>
    public sealed class RegularizedLstmKind : RecurrentKind
    {
        /// <summary>The kind with its two probabilities.</summary>
        /// <param name="recurrent_dropout">The probability of zeroing each element of h_{t-1} before the recurrent product,
        /// in training; in [0, 1).</param>
        /// <param name="zoneout">The probability of keeping each element of h_{t-1} instead of the new value, in training;
        /// in [0, 1].</param>
        /// <exception cref="ArgumentException"><paramref name="recurrent_dropout"/> outside [0, 1) or
        /// <paramref name="zoneout"/> outside [0, 1] (NaN included).</exception>
        public RegularizedLstmKind(double recurrent_dropout = 0.0, double zoneout = 0.0) : base("RegularizedLSTM", has_cell: true)
        {
            // A recurrent dropout of 1 would scale the mask by 1 / 0; a zoneout of 1 is a frozen state, which is allowed.
            if (!(recurrent_dropout >= 0 && recurrent_dropout < 1))
                throw new ArgumentException($"recurrent_dropout must be in [0, 1), got {recurrent_dropout}.", nameof(recurrent_dropout));
            if (!(zoneout >= 0 && zoneout <= 1))
                throw new ArgumentException($"zoneout must be in [0, 1], got {zoneout}.", nameof(zoneout));
            this.recurrent_dropout = recurrent_dropout;
            this.zoneout = zoneout;
        }

        /// <summary>The probability of zeroing each element of h_{t-1} before the recurrent product, in training.</summary>
        public double recurrent_dropout { get; }

        /// <summary>The probability of keeping each element of h_{t-1} instead of the new value, in training.</summary>
        public double zoneout { get; }

        /// <summary>The twin's <c>extra_repr</c> adds both options, always.</summary>
        internal override string CellReprSuffix => $", recurrent_dropout={PythonFloat.Repr(recurrent_dropout)}, zoneout={PythonFloat.Repr(zoneout)}";

        /// <inheritdoc />
        internal override string SequenceReprSuffix => CellReprSuffix;

        /// <summary>Without zoneout the eval module is nn.LSTM (recurrent dropout vanishes), so ONNX's LSTM exports it.</summary>
        internal override OnnxOperator? Onnx => zoneout == 0 ? LstmKind.Instance.Onnx : null;

        /// <summary>nn.LSTM's: <c>weight_ih</c> (4H, H_in), <c>weight_hh</c> (4H, H), <c>bias_ih</c>, <c>bias_hh</c> (4H).</summary>
        /// <param name="input_size">H_in.</param>
        /// <param name="hidden_size">H.</param>
        /// <param name="bias">Whether the biases are there.</param>
        /// <returns>The declarations, drawn as nn.LSTM draws them.</returns>
        public override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias)
        {
            var gates = 4 * hidden_size;
            List<CellParameter> all = [new("weight_ih", [gates, input_size]), new("weight_hh", [gates, hidden_size])];
            if (bias) all.AddRange([new("bias_ih", [gates]), new("bias_hh", [gates])]);
            return all;
        }

        /// <summary>x W_ih^T + b_ih + b_hh for every step at once (both biases add before the gates).</summary>
        /// <param name="input">(..., H_in).</param>
        /// <param name="weights">The layer-direction's parameters.</param>
        /// <returns>(..., 4H).</returns>
        public override Tensor project(Tensor input, CellWeights weights)
        {
            using var bias = FoldedBias(weights);
            return F.linear(input, weights["weight_ih"], bias);
        }

        /// <summary>The eval step: no recurrent mask, and zoneout's expectation p h + (1 - p) h~ when p &gt; 0.</summary>
        /// <param name="input">(N, 4H): this step's row of <see cref="project"/>.</param>
        /// <param name="state">h (N, H) and c (N, H).</param>
        /// <param name="weights">The layer-direction's parameters.</param>
        /// <returns>The next (h, c).</returns>
        public override HiddenState step(Tensor input, HiddenState state, CellWeights weights)
        {
            using var w_hh_t = weights["weight_hh"].t();
            return Advance(input, state.h, state.c!, w_hh_t, null, null, zoneout);
        }

        /// <summary>
        /// In training, draws this layer-direction's masks (recurrent, then zoneout, each only when its probability is
        /// positive) in the twin's order; the walk calls this for the forward direction, runs it, then for the reverse.
        /// Without masks and without zoneout the steps are LSTM's own.
        /// </summary>
        internal override DirectionSteps Prepare(CellWeights w, Tensor input, long[]? batchSizes, bool training)
        {
            var drawing = training && (recurrent_dropout > 0 || zoneout > 0);
            if (!drawing && zoneout == 0) return LstmKind.Instance.Prepare(w, input, batchSizes, training);
            var hidden = w.w_hh.shape[1];
            var (length, batch) = batchSizes is null ? (input.shape[0], input.shape[1]) : (batchSizes.Length, batchSizes[0]);
            Tensor? recurrent = null;
            Tensor[]? zone = null;
            if (drawing && recurrent_dropout > 0)
                recurrent = torch.empty(batch, hidden, dtype: input.dtype, device: input.device).bernoulli_(1 - recurrent_dropout).div_(1 - recurrent_dropout);
            if (drawing && zoneout > 0)
                zone = torch.empty(length, batch, hidden, dtype: input.dtype, device: input.device).bernoulli_(1 - zoneout).unbind(0);
            using var bias = FoldedBias(w);
            var gates = F.linear(input, w.w_ih, bias);
            var perStep = batchSizes is null ? gates.unbind(0) : gates.split(batchSizes, 0);
            return new Steps(perStep, w.w_hh.t(), recurrent, zone, training ? 0 : zoneout);
        }

        private static Tensor? FoldedBias(CellWeights w) => w.b_ih is null ? null : w.b_ih + w.b_hh!;

        /// <summary>
        /// One step from the projected input: the recurrent mask <paramref name="r"/> on h before W_hh, then zoneout with
        /// mask <paramref name="z"/>, or its expectation <paramref name="expectation"/> when there is no mask.
        /// Temporaries are freed as soon as they are dead (as in LstmKind's steps; autograd keeps what it saves).
        /// </summary>
        private static HiddenState Advance(Tensor input, Tensor h, Tensor c, Tensor w_hh_t, Tensor? r, Tensor? z, double expectation)
        {
            using var masked = r is null ? null : h.mul(r);
            using var gates = input.addmm(masked ?? h, w_hh_t);
            var (fresh, nextC) = LstmKind.Cell(gates, c);
            if (z is not null)
            {
                // haste's (h~ - h) * z + h: z is 0 or 1, so the product is exact and h + that is the twin's sum.
                using (fresh)
                {
                    using var change = fresh.sub(h);
                    return new HiddenState(h.addcmul(change, z, 1), nextC!);
                }
            }
            if (expectation > 0)
            {
                using (fresh)
                {
                    using var kept = h.mul(expectation);
                    return new HiddenState(kept.add(fresh, alpha: 1 - expectation), nextC!);
                }
            }
            return new HiddenState(fresh, nextC!);
        }

        /// <summary>The steps of one layer-direction with its masks (or none), packed steps taking the masks' first rows.</summary>
        private sealed class Steps(Tensor[] inputGates, Tensor w_hh_t, Tensor? recurrent, Tensor[]? zone, double expectation) : DirectionSteps
        {
            public override HiddenState Step(int t, HiddenState state)
            {
                var rows = state.h.shape[0];
                using var r = Rows(recurrent, rows);
                using var z = Rows(zone?[t], rows);
                return Advance(inputGates[t], state.h, state.c!, w_hh_t, r ?? recurrent, z ?? zone?[t], expectation);
            }

            /// <summary>The first <paramref name="rows"/> rows of a mask when a packed batch has shrunk, else null (use it whole).</summary>
            private static Tensor? Rows(Tensor? mask, long rows) => mask is null || mask.shape[0] == rows ? null : mask.narrow(0, 0, rows);
        }
    }
}

namespace TorchRnn
{
    using TorchRnn.Kinds;

    public static partial class nn
    {
        /// <summary>
        /// Creates an LSTM with recurrent dropout and zoneout inside the recurrence (<see cref="RegularizedLstmKind"/>), with
        /// <c>nn.LSTM</c>'s options, parameters and initialisation.
        /// </summary>
        /// <param name="input_size">H_in.</param>
        /// <param name="hidden_size">H.</param>
        /// <param name="num_layers">How many layers are stacked.</param>
        /// <param name="bias">Whether the layers have biases b_ih and b_hh.</param>
        /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
        /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
        /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
        /// <param name="recurrent_dropout">Variational dropout on h_{t-1} before the recurrent product (one mask per sequence,
        /// layer and direction), in training; in [0, 1).</param>
        /// <param name="zoneout">The probability of each element of h keeping its previous value, in training (eval uses the
        /// expectation); in [0, 1].</param>
        /// <param name="device">Where the parameters live; the CPU when null.</param>
        /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
        /// <returns>The module; state (h, c) as LSTM's. TorchRnn's managed engine computes it, one step at a time.</returns>
        /// <exception cref="System.ArgumentException"><paramref name="recurrent_dropout"/> outside [0, 1),
        /// <paramref name="zoneout"/> outside [0, 1], a size or layer count below one, or dropout outside [0, 1].</exception>
        /// <example>
        /// <code>
        /// var lstm = nn.RegularizedLSTM(200, 200, num_layers: 2, recurrent_dropout: 0.25, zoneout: 0.1);
        /// var (output, (h_n, c_n)) = lstm.call(torch.randn(35, 20, 200)); // training: fresh masks each call
        /// lstm.eval();                                                    // eval: no masks, zoneout's expectation
        /// </code>
        /// </example>
        public static Recurrent RegularizedLSTM(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false,
            double dropout = 0.0, bool bidirectional = false, double recurrent_dropout = 0.0, double zoneout = 0.0, Device? device = null,
            ScalarType? dtype = null)
            => Recurrent(new RegularizedLstmKind(recurrent_dropout, zoneout), input_size, hidden_size, num_layers, bias, batch_first, dropout,
                bidirectional, device, dtype);

        /// <summary>
        /// Creates one step of the regularised LSTM (<see cref="RegularizedLstmKind"/>). In training each call draws its own
        /// masks: the recurrent dropout is per step here; <see cref="RegularizedLSTM"/> keeps one mask per sequence.
        /// </summary>
        /// <param name="input_size">H_in.</param>
        /// <param name="hidden_size">H.</param>
        /// <param name="bias">Whether the cell has biases b_ih and b_hh.</param>
        /// <param name="recurrent_dropout">Dropout on h before the recurrent product, in training; in [0, 1).</param>
        /// <param name="zoneout">The probability of each element of h keeping its previous value, in training; in [0, 1].</param>
        /// <param name="device">Where the parameters live; the CPU when null.</param>
        /// <param name="dtype">The parameters' dtype; float32 when null.</param>
        /// <returns>The cell; state (h, c).</returns>
        /// <exception cref="System.ArgumentException">A probability out of range, or a negative size.</exception>
        /// <example><code>var (h, c) = nn.RegularizedLSTMCell(3, 2, zoneout: 0.1).call(torch.randn(5, 3));</code></example>
        public static RecurrentCell RegularizedLSTMCell(long input_size, long hidden_size, bool bias = true, double recurrent_dropout = 0.0,
            double zoneout = 0.0, Device? device = null, ScalarType? dtype = null)
            => RecurrentCell(new RegularizedLstmKind(recurrent_dropout, zoneout), input_size, hidden_size, bias, device, dtype);
    }
}

using System.Collections.Generic;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Kinds
{
    /// <summary>
    /// The layer-normalized LSTM of PyTorch's own benchmark (<c>benchmarks/fastrnns/custom_lstms.py</c>,
    /// <c>LayerNormLSTMCell</c>), which PyTorch itself does not ship (pytorch#6760): layer norm on the input product, on
    /// the recurrent product and on the cell state.
    /// </summary>
    /// <remarks>
    /// gates = LN_ih(x W_ih^T) + LN_hh(h W_hh^T), split i, f, g, o; c' = LN_c(σ(f) c + σ(i) tanh(g)); h' = σ(o) tanh(c').
    /// Parameters (H = hidden_size): <c>weight_ih</c> (4H, H_in), <c>weight_hh</c> (4H, H), and the layer norms' scales
    /// <c>weight_ln_ih</c>, <c>weight_ln_hh</c> (4H), <c>weight_ln_c</c> (H), ones at first, and shifts <c>bias_ln_ih</c>,
    /// <c>bias_ln_hh</c> (4H), <c>bias_ln_c</c> (H), zeros at first, which are the only biases (none with <c>bias=False</c>).
    /// Layer norm's epsilon is 1e-5, PyTorch's default.
    /// </remarks>
    public sealed class LayerNormLstmKind : RecurrentKind
    {
        /// <summary>Layer norm's epsilon: <c>nn.LayerNorm</c>'s default.</summary>
        public const double eps = 1e-5;

        /// <summary>The kind; it holds no state, so one instance serves every module.</summary>
        public LayerNormLstmKind() : base("LayerNormLSTM", has_cell: true)
        {
        }

        /// <inheritdoc />
        public override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias)
        {
            var gates = 4 * hidden_size;
            List<CellParameter> all = [new("weight_ih", [gates, input_size]), new("weight_hh", [gates, hidden_size])];
            foreach (var (norm, size) in new[] { ("ln_ih", gates), ("ln_hh", gates), ("ln_c", hidden_size) })
            {
                all.Add(new("weight_" + norm, [size], ParameterInit.Ones));
                if (bias) all.Add(new("bias_" + norm, [size], ParameterInit.Zeros));
            }
            return all;
        }

        /// <summary>LN_ih(x W_ih^T) for every step at once (layer norm is row by row).</summary>
        /// <param name="input">(..., H_in).</param>
        /// <param name="weights">The layer-direction's parameters.</param>
        /// <returns>(..., 4H).</returns>
        public override Tensor project(Tensor input, CellWeights weights)
        {
            using var product = F.linear(input, weights["weight_ih"]);
            return F.layer_norm(product, [product.shape[^1]], weights["weight_ln_ih"], weights.get("bias_ln_ih"), eps);
        }

        /// <inheritdoc />
        public override HiddenState step(Tensor input, HiddenState state, CellWeights weights)
        {
            var (h, c) = state;
            var recurrent = h.mm(weights["weight_hh"].t());
            var gates = input + F.layer_norm(recurrent, [recurrent.shape[^1]], weights["weight_ln_hh"], weights.get("bias_ln_hh"), eps);
            var chunks = gates.chunk(4, 1);
            var (i, f, g, o) = (chunks[0].sigmoid(), chunks[1].sigmoid(), chunks[2].tanh(), chunks[3].sigmoid());
            var cell = f * c + i * g;
            var next = F.layer_norm(cell, [cell.shape[^1]], weights["weight_ln_c"], weights.get("bias_ln_c"), eps);
            return new HiddenState(o * next.tanh(), next);
        }
    }
}

namespace TorchRnn
{
    using TorchRnn.Kinds;

    public static partial class nn
    {
        /// <summary>Creates a layer-normalized LSTM (<see cref="LayerNormLstmKind"/>) with <c>nn.LSTM</c>'s options.</summary>
        /// <param name="input_size">H_in.</param>
        /// <param name="hidden_size">H.</param>
        /// <param name="num_layers">How many layers are stacked.</param>
        /// <param name="bias">Whether the layer norms have shifts (the kind's only biases).</param>
        /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
        /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
        /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
        /// <param name="device">Where the parameters live; the CPU when null.</param>
        /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
        /// <returns>The module; state (h, c) as LSTM's.</returns>
        /// <exception cref="System.ArgumentException">A size or layer count below one, or dropout outside [0, 1].</exception>
        /// <example>
        /// <code>
        /// var lnlstm = nn.LayerNormLSTM(200, 200, num_layers: 2);
        /// var (output, (h_n, c_n)) = lnlstm.call(torch.randn(35, 10, 200));
        /// </code>
        /// </example>
        public static Recurrent LayerNormLSTM(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false,
            double dropout = 0.0, bool bidirectional = false, Device? device = null, ScalarType? dtype = null)
            => Recurrent(new LayerNormLstmKind(), input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype);

        /// <summary>Creates one step of a layer-normalized LSTM (<see cref="LayerNormLstmKind"/>).</summary>
        /// <param name="input_size">H_in.</param>
        /// <param name="hidden_size">H.</param>
        /// <param name="bias">Whether the layer norms have shifts.</param>
        /// <param name="device">Where the parameters live; the CPU when null.</param>
        /// <param name="dtype">The parameters' dtype; float32 when null.</param>
        /// <returns>The cell; state (h, c).</returns>
        /// <exception cref="System.ArgumentException">A negative size.</exception>
        /// <example><code>var (h, c) = nn.LayerNormLSTMCell(3, 2).call(torch.randn(5, 3));</code></example>
        public static RecurrentCell LayerNormLSTMCell(long input_size, long hidden_size, bool bias = true, Device? device = null, ScalarType? dtype = null)
            => RecurrentCell(new LayerNormLstmKind(), input_size, hidden_size, bias, device, dtype);
    }
}

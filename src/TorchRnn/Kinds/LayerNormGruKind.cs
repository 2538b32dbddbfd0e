using System.Collections.Generic;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Kinds
{
    /// <summary>
    /// A layer-normalized GRU: <see cref="LayerNormLstmKind"/>'s recipe carried to PyTorch's GRU. The input product and
    /// the recurrent product are normalized separately, before they meet; a GRU has no cell state, so there is no third norm.
    /// </summary>
    /// <remarks>
    /// gi = LN_ih(x W_ih^T), gh = LN_hh(h W_hh^T), each split r, z, n; r = σ(gi_r + gh_r); z = σ(gi_z + gh_z);
    /// n = tanh(gi_n + r gh_n); h' = (1 - z) n + z h. Normalizing the two products apart (rather than their sum, as a
    /// naive port of LSTM's would) is what GRU needs: r scales the recurrent part of n alone, as in PyTorch's GRU, where
    /// b_hn sits inside r (here LN_hh's shift takes that place). Parameters: <c>weight_ih</c> (3H, H_in), <c>weight_hh</c>
    /// (3H, H), <c>weight_ln_ih</c>, <c>weight_ln_hh</c> (3H, ones at first), <c>bias_ln_ih</c>, <c>bias_ln_hh</c> (3H,
    /// zeros; none with <c>bias=False</c>).
    /// </remarks>
    public sealed class LayerNormGruKind : RecurrentKind
    {
        /// <summary>The kind; it holds no state, so one instance serves every module.</summary>
        public LayerNormGruKind() : base("LayerNormGRU", has_cell: false)
        {
        }

        /// <inheritdoc />
        public override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias)
        {
            var gates = 3 * hidden_size;
            List<CellParameter> all = [new("weight_ih", [gates, input_size]), new("weight_hh", [gates, hidden_size])];
            foreach (var norm in new[] { "ln_ih", "ln_hh" })
            {
                all.Add(new("weight_" + norm, [gates], ParameterInit.Ones));
                if (bias) all.Add(new("bias_" + norm, [gates], ParameterInit.Zeros));
            }
            return all;
        }

        /// <summary>LN_ih(x W_ih^T) for every step at once.</summary>
        /// <param name="input">(..., H_in).</param>
        /// <param name="weights">The layer-direction's parameters.</param>
        /// <returns>(..., 3H).</returns>
        public override Tensor project(Tensor input, CellWeights weights)
        {
            using var product = F.linear(input, weights["weight_ih"]);
            return F.layer_norm(product, [product.shape[^1]], weights["weight_ln_ih"], weights.get("bias_ln_ih"), LayerNormLstmKind.eps);
        }

        /// <inheritdoc />
        public override HiddenState step(Tensor input, HiddenState state, CellWeights weights)
        {
            var h = state.h;
            var recurrent = h.mm(weights["weight_hh"].t());
            var gh = F.layer_norm(recurrent, [recurrent.shape[^1]], weights["weight_ln_hh"], weights.get("bias_ln_hh"), LayerNormLstmKind.eps).chunk(3, 1);
            var gi = input.chunk(3, 1);
            var r = (gi[0] + gh[0]).sigmoid();
            var z = (gi[1] + gh[1]).sigmoid();
            var n = gi[2].addcmul(r, gh[2], 1).tanh();
            return n + z * (h - n);
        }
    }
}

namespace TorchRnn
{
    using TorchRnn.Kinds;

    public static partial class nn
    {
        /// <summary>Creates a layer-normalized GRU (<see cref="LayerNormGruKind"/>) with <c>nn.GRU</c>'s options.</summary>
        /// <param name="input_size">H_in.</param>
        /// <param name="hidden_size">H.</param>
        /// <param name="num_layers">How many layers are stacked.</param>
        /// <param name="bias">Whether the layer norms have shifts (the kind's only biases).</param>
        /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
        /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
        /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
        /// <param name="device">Where the parameters live; the CPU when null.</param>
        /// <param name="dtype">The parameters' dtype; float32 when null.</param>
        /// <returns>The module; state h as GRU's.</returns>
        /// <exception cref="System.ArgumentException">A size or layer count below one, or dropout outside [0, 1].</exception>
        /// <example>
        /// <code>
        /// var lngru = nn.LayerNormGRU(16, 32, batch_first: true);
        /// var (output, h_n) = lngru.call(torch.randn(4, 10, 16));
        /// </code>
        /// </example>
        public static Recurrent LayerNormGRU(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false,
            double dropout = 0.0, bool bidirectional = false, Device? device = null, ScalarType? dtype = null)
            => Recurrent(new LayerNormGruKind(), input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype);

        /// <summary>Creates one step of a layer-normalized GRU (<see cref="LayerNormGruKind"/>).</summary>
        /// <param name="input_size">H_in.</param>
        /// <param name="hidden_size">H.</param>
        /// <param name="bias">Whether the layer norms have shifts.</param>
        /// <param name="device">Where the parameters live; the CPU when null.</param>
        /// <param name="dtype">The parameters' dtype; float32 when null.</param>
        /// <returns>The cell; state h.</returns>
        /// <exception cref="System.ArgumentException">A negative size.</exception>
        /// <example><code>var h = nn.LayerNormGRUCell(3, 2).call(torch.randn(5, 3)).h;</code></example>
        public static RecurrentCell LayerNormGRUCell(long input_size, long hidden_size, bool bias = true, Device? device = null, ScalarType? dtype = null)
            => RecurrentCell(new LayerNormGruKind(), input_size, hidden_size, bias, device, dtype);
    }
}

using System.Collections.Generic;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Kinds
{
    /// <summary>
    /// The LSTM with peephole connections (Gers and Schmidhuber; pytorch#630): the input and forget gates see the old cell
    /// state, the output gate the new one, through diagonal weights. The equations are ONNX's <c>LSTM</c> with its
    /// <c>P</c> input, so TorchRnn.Onnx exports it to that operator.
    /// </summary>
    /// <remarks>
    /// gates = x W_ih^T + b_ih + h W_hh^T + b_hh, split i, f, g, o (PyTorch's order); i = σ(g_i + w_ci c);
    /// f = σ(g_f + w_cf c); c' = f c + i tanh(g_g); o = σ(g_o + w_co c'); h' = o tanh(c'). Parameters: <c>weight_ih</c>
    /// (4H, H_in), <c>weight_hh</c> (4H, H), <c>bias_ih</c>, <c>bias_hh</c> (4H; none with <c>bias=False</c>), then
    /// <c>weight_ci</c>, <c>weight_cf</c>, <c>weight_co</c> (H), all drawn as PyTorch draws LSTM's.
    /// </remarks>
    public sealed class PeepholeLstmKind : RecurrentKind
    {
        /// <summary>The kind; it holds no state, so one instance serves every module.</summary>
        public PeepholeLstmKind() : base("PeepholeLSTM", has_cell: true)
        {
        }

        /// <summary>ONNX's <c>LSTM</c> with its <c>P</c> input: the same equations.</summary>
        internal override OnnxOperator Onnx { get; } = new("LSTM", [0, 3, 1, 2], Peepholes: true);

        /// <inheritdoc />
        public override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias)
        {
            var gates = 4 * hidden_size;
            List<CellParameter> all = [new("weight_ih", [gates, input_size]), new("weight_hh", [gates, hidden_size])];
            if (bias) all.AddRange([new("bias_ih", [gates]), new("bias_hh", [gates])]);
            all.AddRange([new("weight_ci", [hidden_size]), new("weight_cf", [hidden_size]), new("weight_co", [hidden_size])]);
            return all;
        }

        /// <summary>x W_ih^T + b_ih + b_hh for every step at once.</summary>
        /// <param name="input">(..., H_in).</param>
        /// <param name="weights">The layer-direction's parameters.</param>
        /// <returns>(..., 4H).</returns>
        public override Tensor project(Tensor input, CellWeights weights)
        {
            if (weights.get("bias_ih") is not { } b_ih) return F.linear(input, weights["weight_ih"]);
            using var bias = b_ih + weights["bias_hh"];
            return F.linear(input, weights["weight_ih"], bias);
        }

        /// <inheritdoc />
        public override HiddenState step(Tensor input, HiddenState state, CellWeights weights)
        {
            var (h, c) = state;
            var gates = input.addmm(h, weights["weight_hh"].t()).chunk(4, 1);
            var i = gates[0].addcmul(weights["weight_ci"], c, 1).sigmoid();
            var f = gates[1].addcmul(weights["weight_cf"], c, 1).sigmoid();
            var next = f * c + i * gates[2].tanh();
            var o = gates[3].addcmul(weights["weight_co"], next, 1).sigmoid();
            return new HiddenState(o * next.tanh(), next);
        }
    }
}

namespace TorchRnn
{
    using TorchRnn.Kinds;

    public static partial class nn
    {
        /// <summary>Creates an LSTM with peephole connections (<see cref="PeepholeLstmKind"/>) with <c>nn.LSTM</c>'s options.</summary>
        /// <param name="input_size">H_in.</param>
        /// <param name="hidden_size">H.</param>
        /// <param name="num_layers">How many layers are stacked.</param>
        /// <param name="bias">Whether the layers use <c>b_ih</c> and <c>b_hh</c>.</param>
        /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
        /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
        /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
        /// <param name="device">Where the parameters live; the CPU when null.</param>
        /// <param name="dtype">The parameters' dtype; float32 when null.</param>
        /// <returns>The module; state (h, c) as LSTM's.</returns>
        /// <exception cref="System.ArgumentException">A size or layer count below one, or dropout outside [0, 1].</exception>
        /// <example>
        /// <code>
        /// var peephole = nn.PeepholeLSTM(8, 16, num_layers: 2);
        /// var (output, (h_n, c_n)) = peephole.call(torch.randn(5, 3, 8));
        /// </code>
        /// </example>
        public static Recurrent PeepholeLSTM(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false,
            double dropout = 0.0, bool bidirectional = false, Device? device = null, ScalarType? dtype = null)
            => Recurrent(new PeepholeLstmKind(), input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype);

        /// <summary>Creates one step of an LSTM with peephole connections (<see cref="PeepholeLstmKind"/>).</summary>
        /// <param name="input_size">H_in.</param>
        /// <param name="hidden_size">H.</param>
        /// <param name="bias">Whether the cell uses <c>b_ih</c> and <c>b_hh</c>.</param>
        /// <param name="device">Where the parameters live; the CPU when null.</param>
        /// <param name="dtype">The parameters' dtype; float32 when null.</param>
        /// <returns>The cell; state (h, c).</returns>
        /// <exception cref="System.ArgumentException">A negative size.</exception>
        /// <example><code>var (h, c) = nn.PeepholeLSTMCell(3, 2).call(torch.randn(5, 3));</code></example>
        public static RecurrentCell PeepholeLSTMCell(long input_size, long hidden_size, bool bias = true, Device? device = null, ScalarType? dtype = null)
            => RecurrentCell(new PeepholeLstmKind(), input_size, hidden_size, bias, device, dtype);
    }
}

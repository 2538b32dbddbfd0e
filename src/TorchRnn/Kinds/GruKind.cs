using TorchRnn.Engines;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Kinds;

/// <summary>
/// PyTorch's GRU: gates r, z, n; r, z = σ(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z});
/// n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)); h' = (1 - z) n + z h.
/// </summary>
internal sealed class GruKind : LibTorchKind
{
    /// <summary>The one instance: a kind holds no state.</summary>
    public static readonly GruKind Instance = new();

    private GruKind() : base("GRU", hasCell: false, gateCount: 3)
    {
    }

    /// <inheritdoc />
    internal override string ModeString => "GRU";

    /// <summary>PyTorch applies r after the hidden product: ONNX's <c>linear_before_reset = 1</c>.</summary>
    internal override OnnxOperator Onnx { get; } = new("GRU", [1, 0, 2], LinearBeforeReset: true);

    /// <inheritdoc />
    public override RNNBase CreateModule(long input_size, long hidden_size, long num_layers, bool bias, bool batch_first, double dropout,
        bool bidirectional, long proj_size, Device? device, ScalarType? dtype)
        => nn.GRU(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype);

    /// <inheritdoc />
    internal override FusedRecurrence CreateFused(SequenceOptions o, CellWeights[] weights, SequenceEngine fallback)
        => new FusedGru(o, weights, fallback);

    /// <inheritdoc />
    public override RNNCellBase CreateCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        => nn.GRUCell(input_size, hidden_size, bias, device, dtype);

    /// <inheritdoc />
    internal override NativeSequence CreateNative(SequenceOptions o, Device? device, ScalarType? dtype)
        => NativeSequence.Create(dropout => NativeGruOrRnn.Of(torch.nn.GRU(o.InputSize, o.HiddenSize, o.NumLayers, o.Bias, o.BatchFirst,
            dropout, o.Bidirectional, device, dtype)), o);

    /// <inheritdoc />
    internal override NativeCell CreateNativeCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        => NativeCell.Create(() => NativeGruOrRnnCell.Of(torch.nn.GRUCell(input_size, hidden_size, bias, device, dtype)));

    /// <summary>
    /// Packed input on the CPU: <see cref="Engine.Cells"/>, whose gate arithmetic (more operations a step than LSTM's or
    /// RNN's) runs in one native call a step: the faster engine for a forward pass, and within 10 % of the managed one in
    /// training.
    /// </summary>
    protected override Engine PackedEngine => Engine.Cells;

    /// <summary>GRU's n gate needs h W_hn^T + b_hn alone (it is scaled by r), so b_hh stays with the recurrent product.</summary>
    internal override DirectionSteps Prepare(CellWeights w, Tensor input, long[]? batchSizes, bool training)
    {
        var hidden = w.w_hh.shape[1];
        var parts = F.linear(input, w.w_ih, w.b_ih).split([2 * hidden, hidden], -1);
        return new Steps(PerStep(parts[0], batchSizes), PerStep(parts[1], batchSizes), w.w_hh, w.b_hh, hidden, torch.is_grad_enabled());
    }

    /// <summary>r, z = σ(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}); n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)); h' = n + z (h - n).</summary>
    private sealed class Steps(Tensor[] inputRz, Tensor[] inputN, Tensor w_hh, Tensor? b_hh, long hidden, bool grad) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state)
        {
            var h = state.h;
            using var hiddenGates = F.linear(h, w_hh, b_hh);
            var parts = hiddenGates.split([2 * hidden, hidden], 1);
            try
            {
                if (!grad) return InPlace(t, h, parts);
                using var sum = inputRz[t].add(parts[0]);
                using var rz = sum.sigmoid();
                var gates = rz.chunk(2, 1);
                try
                {
                    using var scaled = inputN[t].addcmul(gates[0], parts[1], 1);
                    using var n = scaled.tanh();
                    using var difference = h.sub(n);
                    return n.addcmul(difference, gates[1], 1);
                }
                finally
                {
                    foreach (var gate in gates) gate.Dispose();
                }
            }
            finally
            {
                foreach (var part in parts) part.Dispose();
            }
        }

        /// <summary>
        /// Without gradients r and z are computed where h W_hh^T lies, and h' = n + z (h - n) is one <c>lerp</c>: two
        /// allocations and six operations a step. (The views split and chunk make hold no memory of their own; the
        /// dispose scope frees them with the rest.)
        /// </summary>
        private Tensor InPlace(int t, Tensor h, Tensor[] hiddenGates)
        {
            var gates = hiddenGates[0].add_(inputRz[t]).sigmoid_().chunk(2, 1);
            using var n = inputN[t].addcmul(gates[0], hiddenGates[1], 1).tanh_();
            return n.lerp(h, gates[1]);
        }
    }
}

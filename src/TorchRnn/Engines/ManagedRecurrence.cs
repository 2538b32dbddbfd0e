using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn;

/// <summary>
/// <see cref="Engine.Managed"/>: TorchRnn's own recurrence, with ATen's equations. Each layer-direction projects its
/// whole input in one matrix product (with the recurrent bias folded in where the equations allow), then each step
/// costs one product with W_hh and a few elementwise operations. The only engine for LSTM with <c>proj_size</c>.
/// </summary>
/// <remarks>
/// Results agree with PyTorch's to rounding: the same operations in the same order, except that sums of the same
/// terms may group differently (b_ih + b_hh first, fused multiply-adds).
/// </remarks>
internal sealed class ManagedRecurrence(SequenceOptions options, LayerWeights[] weights) : SteppedRecurrence(options)
{
    /// <inheritdoc />
    public override string Kernel => "TorchRnn's managed recurrence";

    /// <inheritdoc />
    protected override DirectionSteps Prepare(int index, Tensor layerInput, long[]? batchSizes)
        => Prepare(Options.Mode, weights[index], layerInput, batchSizes);

    /// <summary>
    /// The steps of one layer-direction with weights <paramref name="w"/> over <paramref name="input"/>, (L, N, I)
    /// when <paramref name="batchSizes"/> is null, else packed (sum of lengths, I). A cell is one step of (1, N, I).
    /// </summary>
    public static DirectionSteps Prepare(RecurrentMode mode, LayerWeights w, Tensor input, long[]? batchSizes)
    {
        Tensor[] PerStep(Tensor t) => batchSizes is null ? t.unbind(0) : t.split(batchSizes, 0);
        switch (mode)
        {
            case RecurrentMode.Lstm:
                return new LstmSteps(PerStep(F.linear(input, w.w_ih, FoldedBias(w))), w.w_hh.t(), w.w_hr?.t(), torch.is_grad_enabled());
            case RecurrentMode.Gru:
            {
                // GRU's n gate needs h W_hn^T + b_hn alone (it is scaled by r), so b_hh stays with the recurrent product.
                var hidden = w.w_hh.shape[1];
                var parts = F.linear(input, w.w_ih, w.b_ih).split([2 * hidden, hidden], -1);
                return new GruSteps(PerStep(parts[0]), PerStep(parts[1]), w.w_hh, w.b_hh, hidden, torch.is_grad_enabled());
            }
            default:
                return new RnnSteps(PerStep(F.linear(input, w.w_ih, FoldedBias(w))), w.w_hh.t(), mode == RecurrentMode.RnnRelu);
        }
    }

    private static Tensor? FoldedBias(LayerWeights w) => w.b_ih is null ? null : w.b_ih + w.b_hh!;

    // The steps free every temporary as soon as it is dead, as Python's reference counting does in PyTorch's loop: in a
    // dispose scope they would live until the forward returns, and each step would then take fresh memory (and, for
    // larger batches, fresh pages) instead of reusing the last step's. Autograd keeps its own references to what it
    // saves, so disposing a handle never frees a tensor that backward needs.

    /// <summary>gates = (x W_ih^T + b_ih + b_hh) + h W_hh^T; c' = σ(f) c + σ(i) tanh(g); h' = σ(o) tanh(c'), projected.</summary>
    private sealed class LstmSteps(Tensor[] inputGates, Tensor w_hh_t, Tensor? w_hr_t, bool grad) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state)
        {
            var (h, c) = state;
            // Without gradients the step's slice of the input product is dead after this step: add the recurrent
            // product into it rather than into a fresh tensor (its owner disposes it).
            if (!grad) return InPlace(inputGates[t].addmm_(h, w_hh_t), c);
            using var gates = inputGates[t].addmm(h, w_hh_t);
            var chunks = gates.chunk(4, 1);
            try
            {
                using var i = chunks[0].sigmoid();
                using var f = chunks[1].sigmoid();
                using var g = chunks[2].tanh();
                using var o = chunks[3].sigmoid();
                using var kept = f.mul(c);
                var nextC = kept.addcmul(i, g, 1);
                using var squashed = nextC.tanh();
                var nextH = o.mul(squashed);
                if (w_hr_t is null) return new HiddenState(nextH, nextC);
                using (nextH) return new HiddenState(nextH.mm(w_hr_t), nextC);
            }
            finally
            {
                foreach (var chunk in chunks) chunk.Dispose();
            }
        }

        /// <summary>Without gradients the gates are squashed where they lie: two allocations a step instead of nine.</summary>
        private HiddenState InPlace(Tensor sum, Tensor c)
        {
            var gates = sum.chunk(4, 1);
            try
            {
                gates[0].sigmoid_();
                gates[1].sigmoid_();
                gates[2].tanh_();
                gates[3].sigmoid_();
                var nextC = gates[1].mul(c).addcmul_(gates[0], gates[2], 1);
                var nextH = nextC.tanh().mul_(gates[3]);
                if (w_hr_t is null) return new HiddenState(nextH, nextC);
                using (nextH) return new HiddenState(nextH.mm(w_hr_t), nextC);
            }
            finally
            {
                foreach (var gate in gates) gate.Dispose();
            }
        }
    }

    /// <summary>r, z = σ(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}); n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)); h' = n + z (h - n).</summary>
    private sealed class GruSteps(Tensor[] inputRz, Tensor[] inputN, Tensor w_hh, Tensor? b_hh, long hidden, bool grad) : DirectionSteps
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

    /// <summary>h' = tanh((x W_ih^T + b_ih + b_hh) + h W_hh^T), or relu.</summary>
    private sealed class RnnSteps(Tensor[] inputs, Tensor w_hh_t, bool relu) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state)
        {
            var pre = inputs[t].addmm(state.h, w_hh_t);
            return relu ? pre.relu_() : pre.tanh_();
        }
    }
}

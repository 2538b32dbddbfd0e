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
    public override Engine Kind => Engine.Managed;

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
                return new LstmSteps(PerStep(F.linear(input, w.w_ih, FoldedBias(w))), w.w_hh.t(), w.w_hr?.t());
            case RecurrentMode.Gru:
            {
                // GRU's n gate needs h W_hn^T + b_hn alone (it is scaled by r), so b_hh stays with the recurrent product.
                var hidden = w.w_hh.shape[1];
                var parts = F.linear(input, w.w_ih, w.b_ih).split([2 * hidden, hidden], -1);
                return new GruSteps(PerStep(parts[0]), PerStep(parts[1]), w.w_hh, w.b_hh, hidden);
            }
            default:
                return new RnnSteps(PerStep(F.linear(input, w.w_ih, FoldedBias(w))), w.w_hh.t(), mode == RecurrentMode.RnnRelu);
        }
    }

    private static Tensor? FoldedBias(LayerWeights w) => w.b_ih is null ? null : w.b_ih + w.b_hh!;

    /// <summary>gates = (x W_ih^T + b_ih + b_hh) + h W_hh^T; c' = σ(f) c + σ(i) tanh(g); h' = σ(o) tanh(c'), projected.</summary>
    private sealed class LstmSteps(Tensor[] inputGates, Tensor w_hh_t, Tensor? w_hr_t) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state)
        {
            var (h, c) = state;
            var gates = inputGates[t].addmm(h, w_hh_t).chunk(4, 1);
            var i = gates[0].sigmoid();
            var f = gates[1].sigmoid();
            var g = gates[2].tanh();
            var o = gates[3].sigmoid();
            var nextC = f.mul(c).addcmul(i, g, 1);
            var nextH = o.mul(nextC.tanh());
            return new HiddenState(w_hr_t is null ? nextH : nextH.mm(w_hr_t), nextC);
        }
    }

    /// <summary>r, z = σ(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}); n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)); h' = n + z (h - n).</summary>
    private sealed class GruSteps(Tensor[] inputRz, Tensor[] inputN, Tensor w_hh, Tensor? b_hh, long hidden) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state)
        {
            var h = state.h;
            var hiddenGates = F.linear(h, w_hh, b_hh).split([2 * hidden, hidden], 1);
            var rz = inputRz[t].add(hiddenGates[0]).sigmoid().chunk(2, 1);
            var n = inputN[t].addcmul(rz[0], hiddenGates[1], 1).tanh();
            return n.addcmul(h.sub(n), rz[1], 1);
        }
    }

    /// <summary>h' = tanh((x W_ih^T + b_ih + b_hh) + h W_hh^T), or relu.</summary>
    private sealed class RnnSteps(Tensor[] inputs, Tensor w_hh_t, bool relu) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state)
        {
            var pre = inputs[t].addmm(state.h, w_hh_t);
            return relu ? pre.relu() : pre.tanh();
        }
    }
}

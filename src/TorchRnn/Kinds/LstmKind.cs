using System.Collections.Generic;
using TorchRnn.Engines;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchRnn.Kinds;

/// <summary>
/// PyTorch's LSTM: gates i, f, g, o from x W_ih^T + b_ih + h W_hh^T + b_hh; c' = σ(f) c + σ(i) tanh(g);
/// h' = σ(o) tanh(c'), projected by W_hr when <c>proj_size</c> is positive (LSTMP).
/// </summary>
internal sealed class LstmKind : LibTorchKind
{
    /// <summary>The one instance: a kind holds no state.</summary>
    public static readonly LstmKind Instance = new();

    private LstmKind() : base("LSTM", hasCell: true, gateCount: 4)
    {
    }

    /// <inheritdoc />
    internal override string ModeString => "LSTM";

    /// <inheritdoc />
    internal override OnnxOperator Onnx { get; } = new("LSTM", [0, 3, 1, 2]);

    /// <inheritdoc />
    public override RNNBase CreateModule(long input_size, long hidden_size, long num_layers, bool bias, bool batch_first, double dropout,
        bool bidirectional, long proj_size, Device? device, ScalarType? dtype)
        => nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, device, dtype);

    /// <inheritdoc />
    internal override FusedRecurrence CreateFused(SequenceOptions o, CellWeights[] weights, SequenceEngine fallback)
        => new FusedLstm(o, weights, fallback);

    /// <inheritdoc />
    internal override SequenceEngine CreateFusedTraining(SequenceOptions o, CellWeights[] weights, SequenceEngine fallback)
        => new FusedLstmTraining(o, weights, fallback);

    /// <inheritdoc />
    public override RNNCellBase CreateCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        => nn.LSTMCell(input_size, hidden_size, bias, device, dtype);

    /// <summary>With projections: W_hh takes h of size H_out, and W_hr (H_out, H_cell) follows the biases.</summary>
    internal override IReadOnlyList<CellParameter> LayerParameters(SequenceOptions o, long layer)
    {
        if (o.ProjSize == 0) return base.LayerParameters(o, layer);
        var gates = GateCount * o.HiddenSize;
        List<CellParameter> all = [new("weight_ih", [gates, o.LayerInputSize(layer)]), new("weight_hh", [gates, o.OutputSize])];
        if (o.Bias) all.AddRange([new("bias_ih", [gates]), new("bias_hh", [gates])]);
        all.Add(new("weight_hr", [o.ProjSize, o.HiddenSize]));
        return all;
    }

    /// <summary>TorchSharp's <c>LSTM</c> (oneDNN for float32 on the CPU); none with projections, which it lacks.</summary>
    internal override NativeSequence? CreateNative(SequenceOptions o, Device? device, ScalarType? dtype)
        => o.ProjSize > 0
            ? null
            : NativeSequence.Create(dropout => new NativeLstm(torch.nn.LSTM(o.InputSize, o.HiddenSize, o.NumLayers, o.Bias, o.BatchFirst,
                dropout, o.Bidirectional, device, dtype)), o);

    /// <inheritdoc />
    internal override NativeCell CreateNativeCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype)
        => NativeCell.Create(() => new NativeLstmCell(torch.nn.LSTMCell(input_size, hidden_size, bias, device, dtype), hidden_size));

    /// <summary>
    /// A float32 LSTM over one time step (generation, streaming): <see cref="Engine.Cells"/>. LibTorch runs such an LSTM
    /// through oneDNN, whose fixed cost per call dominates a single step; the cells took 0.3 to 0.85 of its time at every
    /// size measured, forward and backward. At two steps the winner depends on the sizes and from four steps oneDNN wins
    /// at every size, so the threshold is the one length where the cells won everywhere: one step.
    /// </summary>
    protected override Engine SingleStepEngine(ScalarType dtype) => dtype == ScalarType.Float32 ? Engine.Cells : Engine.Native;

    /// <summary>
    /// One dense step, packed input (LibTorch's packed LSTM kernel is one input product per step), or any call with
    /// projections (LibTorch has no kernel for them). From two dense steps LibTorch's whole-sequence kernel (oneDNN)
    /// computes the input products of all steps in one blocked product and beat the fused engine (2-layer LSTM(200),
    /// 35 steps of batch 10: 2.4 ms against 4.9 ms).
    /// </summary>
    protected override bool FusedTakes(SequenceOptions o, in EngineCall call) => call.Packed || call.Length == 1 || o.ProjSize > 0;

    /// <summary>
    /// Under autograd, the fused LSTM (<see cref="Engine.FusedTraining"/>) where it measured faster than every other
    /// engine (2-layer LSTMs, one thread; tests/TorchRnn.Benchmarks/results/2026-12-06-engines-training*.md): with
    /// projections (the managed recurrence is the only other engine); one step up to H = 256 (0.61 to 0.94 of the
    /// cells' time; at H = 512 the cells win); two to four steps (0.34 to 0.93 of oneDNN's whole-sequence kernel at H
    /// = 6 to 512); and any length where H times the batch is at most 64 (0.40 to 0.46 of oneDNN's at H = 6, N = 3 and
    /// H = 32, N = 1, 2 to 50 steps). Longer sequences of wider or larger batches stay on oneDNN's kernel, whose blocked
    /// products over all steps won there (16 steps: 1.9 times faster at H = 32, N = 32; 1.4 at H = 64, N = 32; 1.5 at
    /// H = 128, N = 32).
    /// </summary>
    protected override bool FusedTrainingTakes(SequenceOptions o, in EngineCall call)
        => o.ProjSize > 0 || call.Length is >= 2 and <= 4 || call.Length == 1 && o.HiddenSize <= 256 || o.HiddenSize * call.Batch <= 64;

    /// <inheritdoc />
    internal override DirectionSteps Prepare(CellWeights w, Tensor input, long[]? batchSizes, bool training)
        => new Steps(PerStep(F.linear(input, w.w_ih, FoldedBias(w)), batchSizes), w.w_hh.t(), w.w_hr?.t(), torch.is_grad_enabled());

    // The steps free every temporary as soon as it is dead, as Python's reference counting does in PyTorch's loop: in a
    // dispose scope they would live until the forward returns, and each step would then take fresh memory (and, for
    // larger batches, fresh pages) instead of reusing the last step's. Autograd keeps its own references to what it
    // saves, so disposing a handle never frees a tensor that backward needs.

    /// <summary>
    /// c' = σ(f) c + σ(i) tanh(g); h' = σ(o) tanh(c') from the summed gates (i, f, g, o), with gradients; every
    /// temporary is freed as soon as it is dead. RegularizedLSTM's steps share it.
    /// </summary>
    internal static HiddenState Cell(Tensor gates, Tensor c)
    {
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
            return new HiddenState(o.mul(squashed), nextC);
        }
        finally
        {
            foreach (var chunk in chunks) chunk.Dispose();
        }
    }

    /// <summary>gates = (x W_ih^T + b_ih + b_hh) + h W_hh^T; c' = σ(f) c + σ(i) tanh(g); h' = σ(o) tanh(c'), projected.</summary>
    private sealed class Steps(Tensor[] inputGates, Tensor w_hh_t, Tensor? w_hr_t, bool grad) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state)
        {
            var (h, c) = state;
            // Without gradients the step's slice of the input product is dead after this step: add the recurrent
            // product into it rather than into a fresh tensor (its owner disposes it).
            if (!grad) return InPlace(inputGates[t].addmm_(h, w_hh_t), c);
            using var gates = inputGates[t].addmm(h, w_hh_t);
            var next = Cell(gates, c);
            return Projected(next.h, next.c!);
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
                return Projected(nextC.tanh().mul_(gates[3]), nextC);
            }
            finally
            {
                foreach (var gate in gates) gate.Dispose();
            }
        }

        private HiddenState Projected(Tensor h, Tensor c)
        {
            if (w_hr_t is null) return new HiddenState(h, c);
            using (h) return new HiddenState(h.mm(w_hr_t), c);
        }
    }
}

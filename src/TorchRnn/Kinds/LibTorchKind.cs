using System;
using System.Collections.Generic;
using TorchRnn.Engines;
using TorchRnn.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Kinds;

/// <summary>
/// A kind PyTorch has built in (RNN, LSTM, GRU): LibTorch has its kernels, PyTorch names it with a mode string, and
/// TorchRnn's managed engine has a tuned step for it. What differs between them lives in the three subclasses.
/// </summary>
internal abstract class LibTorchKind(string name, bool hasCell, long gateCount) : RecurrentKind(name, hasCell)
{
    // PyTorch's mode strings; nn.RNNBase(mode, ...) looks the kind up here.
    private static readonly Dictionary<string, LibTorchKind> ByMode = new(StringComparer.Ordinal)
    {
        ["LSTM"] = LstmKind.Instance,
        ["GRU"] = GruKind.Instance,
        ["RNN_TANH"] = RnnKind.Tanh,
        ["RNN_RELU"] = RnnKind.Relu,
    };

    /// <summary>How many gates are stacked in each weight: RNN 1, GRU 3, LSTM 4.</summary>
    public long GateCount { get; } = gateCount;

    /// <summary>The kind for PyTorch's mode string, refusing others with PyTorch's message.</summary>
    public static LibTorchKind FromModeString(string mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        return ByMode.TryGetValue(mode, out var kind) ? kind : throw new ArgumentException($"Unrecognized RNN mode: {mode}", nameof(mode));
    }

    /// <summary>
    /// The module <c>nn.RNNBase(mode, ...)</c> makes for this kind (<see cref="LSTM"/>, <see cref="GRU"/>, <see cref="RNN"/>).
    /// </summary>
    public abstract RNNBase CreateModule(long input_size, long hidden_size, long num_layers, bool bias, bool batch_first, double dropout,
        bool bidirectional, long proj_size, Device? device, ScalarType? dtype);

    /// <summary>The cell of this kind (<see cref="LSTMCell"/>, <see cref="GRUCell"/>, <see cref="RNNCell"/>).</summary>
    public abstract RNNCellBase CreateCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype);

    /// <inheritdoc />
    public sealed override IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias)
    {
        var gates = GateCount * hidden_size;
        return bias
            ? [new("weight_ih", [gates, input_size]), new("weight_hh", [gates, hidden_size]), new("bias_ih", [gates]), new("bias_hh", [gates])]
            : [new("weight_ih", [gates, input_size]), new("weight_hh", [gates, hidden_size])];
    }

    /// <inheritdoc />
    public sealed override HiddenState step(Tensor input, HiddenState state, CellWeights weights)
        => throw new NotSupportedException($"{name}'s steps are prepared whole ({nameof(Prepare)}); its projection depends on the layer.");

    /// <inheritdoc />
    internal override void CheckCellArguments(long input_size, long hidden_size) => Checks.CellArguments(input_size, hidden_size, GateCount);

    /// <summary>
    /// The rule, measured on a 2-core AMD EPYC VM with LibTorch 2.10 (tests/TorchRnn.Benchmarks, <c>--engines</c>;
    /// tests/TorchRnn.Benchmarks/results/2026-12-03-engines.md and the README's Performance section):
    /// <list type="number">
    /// <item>On the CPU, float32 input of at most <see cref="FusedMaxBatch"/> sequences, no autograd, no dropout draws,
    /// a call the kind's <see cref="FusedTakes"/> accepts: <see cref="Engine.Fused"/> (generation, streaming, evaluation).</item>
    /// <item>On the CPU, float32 dense input of at most <see cref="FusedMaxBatch"/> sequences that autograd records, no
    /// dropout draws, a call the kind's
    /// <see cref="FusedTrainingTakes"/> accepts: <see cref="Engine.FusedTraining"/> (LSTM training at small sizes, short
    /// sequences and with projections).</item>
    /// <item>No native module (LSTM with <c>proj_size</c>): <see cref="Engine.Managed"/>, the other engine with projections.</item>
    /// <item>Not on the CPU: <see cref="Engine.Native"/> (cuDNN, dense and packed).</item>
    /// <item>Packed input on the CPU: <see cref="PackedEngine"/>.</item>
    /// <item>One time step on the CPU: <see cref="SingleStepEngine"/>.</item>
    /// <item>Otherwise: <see cref="Engine.Native"/>.</item>
    /// </list>
    /// </summary>
    internal sealed override Engine ChooseEngine(SequenceOptions o, in EngineCall call)
    {
        // What both fused engines need: float32 on the CPU, at most FusedMaxBatch sequences, no dropout draws.
        var fusable = call.Device == DeviceType.CPU && call.DType == ScalarType.Float32 && call.Batch <= FusedMaxBatch
            && !(call.Training && o.Dropout > 0 && o.NumLayers > 1);
        if (fusable && !call.Grad && FusedTakes(o, call)) return Engine.Fused;
        if (fusable && call.Grad && !call.Packed && FusedTrainingTakes(o, call)) return Engine.FusedTraining;
        if (o.ProjSize > 0) return Engine.Managed;
        if (call.Device != DeviceType.CPU) return Engine.Native;
        if (call.Packed) return PackedEngine;
        return call.Length == 1 ? SingleStepEngine(call.DType) : Engine.Native;
    }

    /// <summary>
    /// The largest batch the fused engine takes, as far as it was measured faster: at 32 sequences (packed LSTM and
    /// GRU (64, 128): 4.5 and 3.4 ms against 6.4 and 5.0 ms on the next best engine; a dense 2-layer GRU (64, 128) over
    /// 50 steps: 6.2 against 7.9 ms). Its products stream the weights once per eight rows where LibTorch's matrix
    /// products block for the cache, so from some larger batch on those win.
    /// </summary>
    internal const long FusedMaxBatch = 32;

    /// <summary>
    /// Whether the fused engine takes an inference call: GRU's and RNN's, dense or packed, at any length (their native
    /// kernels are ATen's loop, slower at every size measured).
    /// </summary>
    protected virtual bool FusedTakes(SequenceOptions o, in EngineCall call) => true;

    /// <summary>
    /// Whether <see cref="Engine.FusedTraining"/> takes a dense float32 CPU call of at most <see cref="FusedMaxBatch"/>
    /// sequences that autograd records, with no dropout draws: none by default (only LSTM has that engine).
    /// </summary>
    protected virtual bool FusedTrainingTakes(SequenceOptions o, in EngineCall call) => false;

    /// <summary>This kind's <see cref="FusedRecurrence"/>: every built-in kind has one.</summary>
    internal abstract override FusedRecurrence CreateFused(SequenceOptions o, CellWeights[] weights, SequenceEngine fallback);

    /// <summary>
    /// Packed input on the CPU. LSTM and RNN: <see cref="Engine.Managed"/>, whose single input product per layer beats
    /// LibTorch's packed kernel (one input product per step) and needs no re-packing.
    /// </summary>
    protected virtual Engine PackedEngine => Engine.Managed;

    /// <summary>
    /// One time step on the CPU. GRU, RNN and float64 LSTMs do not take oneDNN's path: their native kernel is one call
    /// where the cells are one per layer, and at one step it was within about 10 % of the cells either way.
    /// </summary>
    protected virtual Engine SingleStepEngine(ScalarType dtype) => Engine.Native;

    /// <summary>b_ih + b_hh, folded into the input product where the equations allow (null without biases).</summary>
    protected static Tensor? FoldedBias(CellWeights w) => w.b_ih is null ? null : w.b_ih + w.b_hh!;

    /// <summary>Each step's rows of a layer's input product: dense (L, N, *) by time, packed by batch sizes.</summary>
    protected static Tensor[] PerStep(Tensor t, long[]? batchSizes) => batchSizes is null ? t.unbind(0) : t.split(batchSizes, 0);
}

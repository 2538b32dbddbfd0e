using System;
using System.Collections.Generic;
using TorchRnn.Engines;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Kinds;

/// <summary>
/// What one step of a recurrent layer computes: its parameters, its state and its step. RNN, LSTM and GRU are kinds;
/// so is a cell of your own. <see cref="nn.Recurrent"/> makes any kind a sequence module (layers, bidirectional,
/// <c>batch_first</c>, dropout between layers, unbatched and packed input, hooks, repr, <c>state_dict</c>) and
/// <see cref="nn.RecurrentCell"/> a one-step cell module; TorchRnn.Onnx exports it when the kind also writes its step
/// on <c>OnnxTensor</c> (<c>IOnnxKind</c>).
/// </summary>
/// <remarks>
/// <para>Shape key: N = batch size, H_in = the layer's input size, H = <c>hidden_size</c>, P = what
/// <see cref="project"/> makes of H_in.</para>
/// <para>A kind holds no tensors: the module owns the parameters (one set per layer-direction, named as
/// <see cref="parameters"/> declares them plus PyTorch's suffix <c>_l{k}</c> / <c>_l{k}_reverse</c>) and hands them to
/// <see cref="project"/> and <see cref="step"/>. The sequence module calls <see cref="project"/> once per layer and
/// direction on every step's input at once (one matrix product instead of one per step), then <see cref="step"/> for
/// each time step; temporaries a step makes are freed when it returns.</para>
/// </remarks>
/// <example>
/// <code>
/// // Elman's RNN as a kind of your own: h' = tanh(x W_ih^T + h W_hh^T + b).
/// sealed class Elman() : RecurrentKind("Elman", has_cell: false)
/// {
///     public override IReadOnlyList&lt;CellParameter&gt; parameters(long input_size, long hidden_size, bool bias) =>
///         [new("weight_ih", [hidden_size, input_size]), new("weight_hh", [hidden_size, hidden_size]), .. bias ? [new CellParameter("bias", [hidden_size])] : Array.Empty&lt;CellParameter&gt;()];
///     public override Tensor project(Tensor input, CellWeights w) => torch.nn.functional.linear(input, w["weight_ih"], w.get("bias"));
///     public override HiddenState step(Tensor x, HiddenState state, CellWeights w) => x.addmm(state.h, w["weight_hh"].t()).tanh_();
/// }
/// var rnn = nn.Recurrent(new Elman(), 5, 6, num_layers: 2, bidirectional: true);
/// </code>
/// </example>
public abstract class RecurrentKind
{
    /// <summary>Names the kind and says whether its state has a cell state.</summary>
    /// <param name="name">The sequence module's name in its repr and messages, for example <c>LayerNormLSTM</c>; the cell module's is
    /// <paramref name="name"/> + <c>Cell</c>.</param>
    /// <param name="has_cell">Whether the state is (h, c), as LSTM's, rather than h alone.</param>
    /// <exception cref="ArgumentException">An empty name.</exception>
    protected RecurrentKind(string name, bool has_cell)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        this.name = name;
        this.has_cell = has_cell;
    }

    /// <summary>The sequence module's name: <c>LSTM</c>, <c>LayerNormGRU</c>, ...</summary>
    public string name { get; }

    /// <summary>The cell module's name: <see cref="name"/> + <c>Cell</c>.</summary>
    public string cell_name => name + "Cell";

    /// <summary>Whether the state is (h, c) rather than h alone.</summary>
    public bool has_cell { get; }

    /// <summary>The parameters of one layer-direction, or of a cell, in the order they are registered and drawn.</summary>
    /// <param name="input_size">H_in of this layer: the module's <c>input_size</c> for layer 0, D * H above.</param>
    /// <param name="hidden_size">H.</param>
    /// <param name="bias">The module's <c>bias</c> option: leave the biases out when false.</param>
    /// <returns>The declarations.</returns>
    public abstract IReadOnlyList<CellParameter> parameters(long input_size, long hidden_size, bool bias);

    /// <summary>
    /// What of the step can be computed for every step at once, before the recurrence: typically x W_ih^T + b. Called
    /// once per layer and direction with all of its input. The default passes the input through.
    /// </summary>
    /// <param name="input">(L, N, H_in), or packed (sum of lengths, H_in): every row is one step of one sequence.</param>
    /// <param name="weights">This layer-direction's parameters.</param>
    /// <returns>(..., P), the same leading shape; row by row what <see cref="step"/> receives.</returns>
    public virtual Tensor project(Tensor input, CellWeights weights) => input;

    /// <summary>One step: the next state from this step's projected input and the state before it.</summary>
    /// <param name="input">(N, P): this step's rows of what <see cref="project"/> returned.</param>
    /// <param name="state">h (N, H), with c (N, H) when <see cref="has_cell"/>.</param>
    /// <param name="weights">This layer-direction's parameters.</param>
    /// <returns>The next state, shaped as <paramref name="state"/>; its h is the step's output.</returns>
    public abstract HiddenState step(Tensor input, HiddenState state, CellWeights weights);

    /// <summary>The kind's name.</summary>
    /// <returns><see cref="name"/>.</returns>
    public override string ToString() => name;

    // What the built-in kinds add (LibTorchKind): PyTorch's mode string and messages, LibTorch's kernels, the tuned managed
    // steps. A kind of the user's takes these defaults: TorchRnn's managed engine, LSTM's and GRU's wording.

    /// <summary>PyTorch's <c>RNNBase.mode</c>; a user's kind reports its name.</summary>
    internal virtual string ModeString => name;

    /// <summary>Whether the input-rank message ends "...D tensor instead" (PyTorch's RNN) or "...D instead" (LSTM, GRU).</summary>
    internal virtual bool RankMessageSaysTensor => false;

    /// <summary>The repr's options beyond sizes and bias that the kind itself fixes (RNNCell's <c>nonlinearity=relu</c>).</summary>
    internal virtual string CellReprSuffix => "";

    /// <summary>The sequence module's repr options after PyTorch's own (RegularizedLSTM's <c>recurrent_dropout=..., zoneout=...</c>).</summary>
    internal virtual string SequenceReprSuffix => "";

    /// <summary>Layer <paramref name="layer"/>'s parameters in a sequence module with options <paramref name="o"/>.</summary>
    internal virtual IReadOnlyList<CellParameter> LayerParameters(SequenceOptions o, long layer)
        => parameters(o.LayerInputSize(layer), o.HiddenSize, o.Bias);

    /// <summary>Refuses sizes a cell cannot have, with PyTorch's message where PyTorch has one.</summary>
    internal virtual void CheckCellArguments(long input_size, long hidden_size)
    {
        if (input_size < 0) throw new ArgumentOutOfRangeException(nameof(input_size), input_size, "input_size must not be negative");
        if (hidden_size < 0) throw new ArgumentOutOfRangeException(nameof(hidden_size), hidden_size, "hidden_size must not be negative");
    }

    /// <summary>
    /// ONNX's own recurrent operator for this kind (TorchRnn.Onnx writes it where ONNX Runtime runs it: float32, no
    /// projections); null for a kind ONNX has no operator for, which is exported as a <c>Scan</c> of its step.
    /// </summary>
    internal virtual OnnxOperator? Onnx => null;

    /// <summary>LibTorch's whole-sequence kernel for these options, owning the parameters; null when there is none.</summary>
    internal virtual NativeSequence? CreateNative(SequenceOptions o, Device? device, ScalarType? dtype) => null;

    /// <summary>LibTorch's cell for one layer-direction or a cell module; null when there is none.</summary>
    internal virtual NativeCell? CreateNativeCell(long input_size, long hidden_size, bool bias, Device? device, ScalarType? dtype) => null;

    /// <summary>What computes a call (<see cref="Engine"/>), from what makes it fastest; a kind without kernels has the managed engine.</summary>
    internal virtual Engine ChooseEngine(SequenceOptions o, in EngineCall call) => Engine.Managed;

    /// <summary>The fused inference engine for these options (a built-in kind's); null for a kind without one.</summary>
    internal virtual FusedRecurrence? CreateFused(SequenceOptions o, CellWeights[] weights, SequenceEngine fallback) => null;

    /// <summary>The fused engine under autograd for these options (LSTM's); null for a kind without one.</summary>
    internal virtual SequenceEngine? CreateFusedTraining(SequenceOptions o, CellWeights[] weights, SequenceEngine fallback) => null;

    /// <summary>
    /// The managed steps of one layer-direction with weights <paramref name="w"/> over <paramref name="input"/>, (L, N, I)
    /// when <paramref name="batchSizes"/> is null, else packed (sum of lengths, I). A cell is one step of (1, N, I).
    /// <paramref name="training"/> is the module's mode: a kind that regularises inside the recurrence (RegularizedLSTM)
    /// draws its masks here, so the draws fall in the order the layer walk prepares its directions; the others ignore it.
    /// </summary>
    internal virtual DirectionSteps Prepare(CellWeights w, Tensor input, long[]? batchSizes, bool training)
    {
        var projected = project(input, w);
        return new KindSteps(this, w, batchSizes is null ? projected.unbind(0) : projected.split(batchSizes, 0));
    }

    /// <summary>A kind's own <see cref="step"/> over prepared inputs; each step's temporaries are freed as it returns.</summary>
    private sealed class KindSteps(RecurrentKind kind, CellWeights weights, Tensor[] inputs) : DirectionSteps
    {
        public override HiddenState Step(int t, HiddenState state)
        {
            using var scope = torch.NewDisposeScope();
            var next = kind.step(inputs[t], state, weights);
            if (next.has_cell != kind.has_cell)
                throw new InvalidOperationException($"{kind.name}'s step returned a state {(next.has_cell ? "with" : "without")} c; its kind says has_cell: {kind.has_cell}.");
            return next.MoveToOuterDisposeScope();
        }
    }
}

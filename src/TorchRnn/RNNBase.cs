using System;
using System.Globalization;
using System.Text;
using TorchRnn.Engines;
using TorchRnn.Kinds;
using TorchRnn.Printing;
using TorchRnn.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>nn.RNNBase</c>: what every sequence module shares (RNN, LSTM, GRU, and any <see cref="RecurrentKind"/>
/// through <see cref="nn.Recurrent"/>), and the one type that holds any of them (a model that picks its recurrent
/// layer at run time, as PyTorch's <c>getattr(nn, rnn_type)(...)</c> does, holds an <see cref="RNNBase"/> and passes
/// <see cref="HiddenState"/>s). The options, the parameters under PyTorch's names, and the forward live here; what a
/// step computes is the kind's; the subclasses add typed <c>forward</c> and <c>call</c> overloads.
/// </summary>
/// <remarks>
/// <para>Shape key: N = batch size, L = sequence length, D = 2 if bidirectional else 1, H_in = <c>input_size</c>,
/// H_cell = <c>hidden_size</c>, H_out = <c>proj_size</c> if it is positive, else <c>hidden_size</c>.</para>
/// <para>What computes a call is chosen per call by the kind (<c>ChooseEngine</c>) among engines built at construction: LibTorch's whole-sequence kernel through
/// TorchSharp's native module, TorchSharp's native cells one step at a time (a single step on the CPU, where the
/// whole-sequence kernel has a fixed cost per call), or TorchRnn's managed recurrence (projections, packed input on
/// the CPU). All compute PyTorch's equations with the same parameters; results agree to rounding.</para>
/// </remarks>
public abstract class RNNBase : RecurrentModule<(Tensor output, HiddenState h_n)>
{
    private readonly NativeSequence? _native;
    private readonly PackedHooks _packedHooks = new();
    private CellWeights[] _weights = [];
    private ManagedRecurrence _managed = null!;
    private CellRecurrence? _cells;
    private FusedRecurrence? _fused;
    private SequenceEngine? _fusedTraining;
    private GuardedSequence? _guardedNative;
    private GuardedSequence? _guardedCells;
    private GuardedSequence? _guardedFused;
    private GuardedSequence? _guardedFusedTraining;
    private Func<SequenceEngine, SequenceEngine>? _kernelDouble;

    private protected RNNBase(RecurrentKind kind, long input_size, long hidden_size, long num_layers, bool bias,
        bool batch_first, double dropout, bool bidirectional, long proj_size, Device? device, ScalarType? dtype)
        : base(kind.name, input_size, hidden_size, bias)
    {
        Checks.SequenceArguments(input_size, hidden_size, num_layers, dropout, proj_size);
        Options = new SequenceOptions(kind, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size);
        _native = kind.CreateNative(Options, device, dtype);
        if (_native is not null)
        {
            Adopt(_native.Module);
        }
        else
        {
            // PyTorch's order: layer, then direction, then the kind's parameters. It is also the order of the draws.
            for (var layer = 0; layer < num_layers; layer++)
            {
                for (var direction = 0; direction < Options.Directions; direction++)
                {
                    var suffix = CellWeights.Suffix(layer, direction);
                    foreach (var p in kind.LayerParameters(Options, layer)) AddParameter(p.name + suffix, p.shape, p.init, device, dtype);
                }
            }
        }
        reset_parameters();
        BuildEngines();
    }

    /// <summary>What one step computes: LSTM's, GRU's, RNN's, or a kind of your own (<see cref="nn.Recurrent"/>).</summary>
    public RecurrentKind kind => Options.Kind;

    /// <summary>PyTorch's mode string: <c>LSTM</c>, <c>GRU</c>, <c>RNN_TANH</c> or <c>RNN_RELU</c>.</summary>
    /// <remarks>A kind of the user's reports its name.</remarks>
    public string mode => Options.Kind.ModeString;

    /// <summary>The number of stacked recurrent layers.</summary>
    public long num_layers => Options.NumLayers;

    /// <summary>Whether input and output are (N, L, H) instead of (L, N, H). The states are never batch-first.</summary>
    public bool batch_first => Options.BatchFirst;

    /// <summary>The probability of zeroing each output of every layer but the last, in training mode.</summary>
    public double dropout => Options.Dropout;

    /// <summary>Whether each layer also runs over the reversed sequence (D = 2).</summary>
    public bool bidirectional => Options.Bidirectional;

    /// <summary>LSTM's projection size H_out, or 0 for no projection (always 0 for RNN and GRU).</summary>
    public long proj_size => Options.ProjSize;

    /// <summary>
    /// Tests ask for an engine here to check each against PyTorch's fixtures; null lets the kind choose. A vendor kernel asked for is still behind the kernel check, which may route the call around it.
    /// </summary>
    internal Engine? ForcedEngine { get; set; }

    /// <summary>The verdicts this module reads and adds to: the process's, unless a test or the self-check gives it its own.</summary>
    internal KernelGuard Guard { get; set; } = KernelGuard.Shared;

    /// <summary>The options: the kind and the sizes, as the engines and the kernel check need them.</summary>
    internal SequenceOptions Options { get; }

    /// <summary>The current weights of each layer-direction, for the kernel check's reference.</summary>
    internal CellWeights[] Weights => _weights;

    /// <summary>The managed engine: the kernel check's fallback.</summary>
    internal ManagedRecurrence ManagedEngine => _managed;

    /// <summary>The fused inference engine, where the kind has one (tests read its weight copies).</summary>
    internal FusedRecurrence? FusedEngine => _fused;

    /// <summary>The parameters' dtype and device, for the kernel check's key.</summary>
    internal TensorInfo ParameterTensorInfo => ParameterInfo;

    /// <summary>The parameters' device index, for the kernel check's key.</summary>
    internal int ParameterDeviceIndex => ParameterDevice.index;

    /// <summary>
    /// The test seam for the kernel check: every vendor kernel of this module (native and cells) is replaced by what
    /// <paramref name="wrap"/> makes of it, for example a double that returns wrong numbers.
    /// </summary>
    internal void SubstituteKernels(Func<SequenceEngine, SequenceEngine> wrap)
    {
        _kernelDouble = wrap;
        WrapKernels();
    }

    /// <inheritdoc />
    public override string extra_repr()
    {
        var s = new StringBuilder();
        s.Append(input_size.ToString(CultureInfo.InvariantCulture)).Append(", ").Append(hidden_size.ToString(CultureInfo.InvariantCulture));
        if (proj_size != 0) s.Append(", proj_size=").Append(proj_size.ToString(CultureInfo.InvariantCulture));
        if (num_layers != 1) s.Append(", num_layers=").Append(num_layers.ToString(CultureInfo.InvariantCulture));
        if (!bias) s.Append(", bias=False");
        if (batch_first) s.Append(", batch_first=True");
        if (dropout != 0) s.Append(", dropout=").Append(PythonFloat.Repr(dropout));
        if (bidirectional) s.Append(", bidirectional=True");
        return s.Append(Options.Kind.SequenceReprSuffix).ToString();
    }

    /// <summary>
    /// PyTorch's <c>flatten_parameters</c>: on CUDA, lays the weights out in one block for cuDNN. On the CPU, drops the
    /// fused engine's copies of the weights (steps at batch 1 and from batch 4 make them, and make them again when
    /// LibTorch sees the weights change): call it after writing into a weight's memory directly (a span over
    /// <c>data&lt;float&gt;()</c> or <c>bytes</c>), which LibTorch does not see. Harmless otherwise.
    /// </summary>
    public void flatten_parameters()
    {
        _fused?.DropCopies();
        _native?.FlattenParameters();
    }

    /// <summary>Runs the module over a sequence, holding the state as a <see cref="HiddenState"/>.</summary>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when <see cref="batch_first"/>, or unbatched (L, H_in).</param>
    /// <param name="hx">
    /// The initial state: h (D * num_layers, N, H_out), with c (D * num_layers, N, H_cell) for an LSTM; unbatched
    /// without N. Zeros when null.
    /// </param>
    /// <returns>
    /// <c>output</c>, the last layer's h_t for every t: (L, N, D * H_out), (N, L, D * H_out) when batch-first,
    /// unbatched (L, D * H_out); and <c>h_n</c>, every layer's final state, shaped like <paramref name="hx"/>.
    /// </returns>
    /// <exception cref="ArgumentException">
    /// The input or a state has the wrong rank, dtype, feature size, shape or device, is disposed, or the sequence is
    /// empty; or an LSTM's state lacks c, or another module's has one. The message is PyTorch's where PyTorch has one.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public sealed override (Tensor output, HiddenState h_n) forward(Tensor input, HiddenState? hx = null)
        => RunSequence(input, hx);

    /// <summary>Runs <see cref="forward(Tensor, HiddenState?)"/> with the module's hooks, as calling the module does in PyTorch.</summary>
    /// <param name="input">(L, N, H_in), (N, L, H_in) when batch-first, or unbatched (L, H_in).</param>
    /// <param name="hx">The initial state; zeros when omitted.</param>
    /// <returns><c>(output, h_n)</c> as <see cref="forward(Tensor, HiddenState?)"/> returns them.</returns>
    /// <exception cref="ArgumentException">As <see cref="forward(Tensor, HiddenState?)"/>.</exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public new (Tensor output, HiddenState h_n) call(Tensor input, HiddenState? hx = null) => base.call(input, hx);

    /// <summary>Runs the module over a batch of variable-length sequences; the padding is never computed.</summary>
    /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H_in) data.</param>
    /// <param name="hx">The initial state, (D * num_layers, N, *) in the batch's original order; zeros when null.</param>
    /// <returns>
    /// <c>output</c>, packed like <paramref name="input"/> with (sum of lengths, D * H_out) data, and <c>h_n</c>, each
    /// sequence's state after its own last step, (D * num_layers, N, *) in the original order.
    /// </returns>
    /// <exception cref="ArgumentException">
    /// The sequence is inconsistent (batch sizes not positive and non-increasing, not summing to the data's rows,
    /// indices of the wrong length), or the data or a state has the wrong dtype, size, shape or device.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (PackedSequence output, HiddenState h_n) forward(PackedSequence input, HiddenState? hx = null) => RunPacked(input, hx);

    /// <summary>
    /// Runs <see cref="forward(PackedSequence, HiddenState?)"/> with the module's hooks, as PyTorch runs them for packed
    /// input: the module-level hooks (<c>register_forward_pre_hook(Action&lt;Module&gt;)</c>,
    /// <c>register_forward_hook(Action&lt;Module&gt;)</c>) and those registered with
    /// <see cref="RegisterPackedForwardPreHook"/> and <see cref="RegisterPackedForwardHook"/>. Hooks typed on a tensor
    /// input cannot take a packed one, so they do not run.
    /// </summary>
    /// <param name="input">A <see cref="PackedSequence"/> of (sum of lengths, H_in) data.</param>
    /// <param name="hx">The initial state; zeros when omitted.</param>
    /// <returns><c>(output, h_n)</c> as <see cref="forward(PackedSequence, HiddenState?)"/> returns them.</returns>
    /// <exception cref="ArgumentException">As <see cref="forward(PackedSequence, HiddenState?)"/>.</exception>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public (PackedSequence output, HiddenState h_n) call(PackedSequence input, HiddenState? hx = null)
    {
        foreach (var hook in module_pre_hooks.Values) hook(this);
        var result = _packedHooks.Run(this, input, hx, forward);
        foreach (var hook in module_post_hooks.Values) hook(this);
        return result;
    }

    /// <summary>
    /// A hook run before a packed forward (PyTorch's forward pre-hook, for packed input): it sees the module, the
    /// input and the state, and may return replacements.
    /// </summary>
    /// <param name="module">The module.</param>
    /// <param name="input">The packed input.</param>
    /// <param name="hx">The initial state, or null.</param>
    /// <returns>Replacements for the input and state, or null to keep them.</returns>
    public delegate (PackedSequence input, HiddenState? hx)? PackedForwardPreHook(RNNBase module, PackedSequence input, HiddenState? hx);

    /// <summary>A hook run after a packed forward (PyTorch's forward hook, for packed input); it may replace the result.</summary>
    /// <param name="module">The module.</param>
    /// <param name="input">The packed input.</param>
    /// <param name="hx">The initial state, or null.</param>
    /// <param name="result">What the forward returned.</param>
    /// <returns>A replacement result, or null to keep it.</returns>
    public delegate (PackedSequence output, HiddenState h_n)? PackedForwardHook(RNNBase module, PackedSequence input, HiddenState? hx,
        (PackedSequence output, HiddenState h_n) result);

    /// <summary>
    /// Registers a hook that <see cref="call(PackedSequence, HiddenState?)"/> runs before the forward. PyTorch's
    /// <c>register_forward_pre_hook</c> takes hooks for any input; here packed input has hooks of its own.
    /// </summary>
    /// <param name="hook">The hook.</param>
    /// <returns>Disposing it removes the hook.</returns>
    /// <example><code>using var handle = lstm.RegisterPackedForwardPreHook((m, x, hx) => { Console.WriteLine(x.batch_sizes); return null; });</code></example>
    public IDisposable RegisterPackedForwardPreHook(PackedForwardPreHook hook) => _packedHooks.Add(hook);

    /// <summary>
    /// Registers a hook that <see cref="call(PackedSequence, HiddenState?)"/> runs after the forward. PyTorch's
    /// <c>register_forward_hook</c> takes hooks for any input; here packed input has hooks of its own.
    /// </summary>
    /// <param name="hook">The hook.</param>
    /// <returns>Disposing it removes the hook.</returns>
    /// <example><code>using var handle = gru.RegisterPackedForwardHook((m, x, hx, result) => { Console.WriteLine(result.h_n.h.shape); return null; });</code></example>
    public IDisposable RegisterPackedForwardHook(PackedForwardHook hook) => _packedHooks.Add(hook);

    /// <summary>The result with h as a tensor.</summary>
    private protected static (Tensor output, Tensor h_n) Typed((Tensor output, HiddenState h_n) result) => (result.output, result.h_n.h);

    /// <summary>The packed result with h as a tensor.</summary>
    private protected static (PackedSequence output, Tensor h_n) Typed((PackedSequence output, HiddenState h_n) result)
        => (result.output, result.h_n.h);

    /// <summary>The result with the state as the pair (h, c).</summary>
    private protected static (Tensor output, (Tensor h_n, Tensor c_n) state) Pair((Tensor output, HiddenState h_n) result)
    {
        var (h, c) = result.h_n;
        return (result.output, (h, c));
    }

    /// <summary>The packed result with the state as the pair (h, c).</summary>
    private protected static (PackedSequence output, (Tensor h_n, Tensor c_n) state) Pair((PackedSequence output, HiddenState h_n) result)
    {
        var (h, c) = result.h_n;
        return (result.output, (h, c));
    }

    /// <summary>
    /// The engine a call of <paramref name="length"/> steps of <paramref name="batch"/> rows takes, by the kind's rule
    /// unless a test forced one; <paramref name="grad"/>: whether autograd records the call (<see cref="SequenceEngine.Records"/>).
    /// </summary>
    internal Engine EngineFor(long length, bool packed, long batch = 1, bool grad = true)
        => ForcedEngine ?? Options.Kind.ChooseEngine(Options,
            new EngineCall(ParameterInfo.DeviceType, ParameterInfo.DType, length, batch, packed, grad, training));

    /// <summary>
    /// The engine of that kind; without a native module (projections, a user's kind) only the managed one exists. The
    /// vendor kernels come behind the kernel check (<see cref="GuardedSequence"/>).
    /// </summary>
    private SequenceEngine EngineOf(Engine engine) => engine switch
    {
        Engine.Native => _guardedNative ?? (SequenceEngine)_managed,
        Engine.Cells => _guardedCells ?? (SequenceEngine)_managed,
        Engine.Fused => _guardedFused ?? (SequenceEngine)_managed,
        Engine.FusedTraining => _guardedFusedTraining ?? (SequenceEngine)_managed,
        _ => _managed,
    };

    /// <summary>
    /// Builds every engine the module can use, once: at construction, and again when <c>to()</c> gives the parameters
    /// new tensors (or a test substitutes the kernels). No call builds or locks anything.
    /// </summary>
    private void BuildEngines()
    {
        _weights = CellWeights.Of(KernelParameter, Options);
        _managed = new ManagedRecurrence(Options, _weights);
        // The old cells are dropped, not disposed: they share the parameters, which disposing them would free (the
        // finalizer releases only their native handles).
        _cells = _native is null ? null : new CellRecurrence(Options, _weights, ParameterDevice, ParameterInfo.DType);
        _fused = Options.Kind.CreateFused(Options, _weights, _managed);
        _fusedTraining = Options.Kind.CreateFusedTraining(Options, _weights, _managed);
        WrapKernels();
    }

    /// <summary>
    /// Puts the vendor kernels behind the kernel check, after a test's substitution, if any (of the engine the test
    /// forced, when it forced one; of both otherwise).
    /// </summary>
    private void WrapKernels()
    {
        SequenceEngine Substituted(SequenceEngine kernel, Engine engine)
            => _kernelDouble is { } wrap && (ForcedEngine is null || ForcedEngine == engine) ? wrap(kernel) : kernel;
        // A vendor kernel found wrong hands its calls to the fused engine (which hands what it does not take, and its
        // own calls if it were found wrong, to the managed engine).
        _guardedFused = _fused is null ? null : new GuardedSequence(Substituted(_fused, Engine.Fused), this, _managed);
        _guardedFusedTraining = _fusedTraining is null ? null
            : new GuardedSequence(Substituted(_fusedTraining, Engine.FusedTraining), this, _managed);
        var fallback = (SequenceEngine?)_guardedFused ?? _managed;
        _guardedNative = _native is null ? null : new GuardedSequence(Substituted(_native, Engine.Native), this, fallback);
        _guardedCells = _cells is null ? null : new GuardedSequence(Substituted(_cells, Engine.Cells), this, fallback);
    }

    /// <summary>
    /// PyTorch's forward checks in PyTorch's order, unbatched and batch-first handling, the default zero states, then
    /// the engine for this call.
    /// </summary>
    private (Tensor output, HiddenState h_n) RunSequence(Tensor input, HiddenState? hx)
    {
        var o = Options;
        var cell = o.Kind.has_cell;
        CheckCall(input, hx, cell);
        var h0 = hx?.h;
        var c0 = hx?.c;
        var x = TensorInfo.Of(input);
        Checks.InputRank(GetName(), x.Rank, saysTensor: o.Kind.RankMessageSaysTensor);
        var batched = x.Rank == 3;
        var h = h0 is null ? default : TensorInfo.Of(h0);
        var c = c0 is null ? default : TensorInfo.Of(c0);
        if (h0 is not null)
        {
            if (cell) Checks.StateRanks(batched, h.Rank, c.Rank);
            else Checks.HiddenRank(batched, h.Rank);
        }

        // The checks see the shapes PyTorch sees after unsqueezing unbatched input; nothing is unsqueezed yet.
        var batchDim = batch_first ? 0 : 1;
        var inserted = batched ? -1 : batchDim;
        var stateInserted = batched ? -1 : 1;
        Checks.Input(x.DType, x.Size(2, inserted), ParameterInfo.DType, input_size);
        var batch = x.Size(batchDim, inserted);
        var length = x.Size(1 - batchDim, inserted);
        var hint = h0 is not null && batched && h.Rank == 3 && h.Is(o.States, x.Size(1 - batchDim), o.OutputSize)
            ? Checks.BatchFirstHint(batch_first)
            : null;
        CheckStates(x, hx, h, c, stateInserted, batch, length, hint);

        var engine = EngineOf(EngineFor(length, packed: false, batch, SequenceEngine.Records(input, hx, _weights)));
        // Batched input with a state, the common case, needs no dispose scope: it has no temporaries.
        if (batched && hx is { } given) return engine.Run(input, given, training);

        using var scope = torch.NewDisposeScope();
        var state = hx is { } s0
            ? new HiddenState(s0.h.unsqueeze(1), s0.c?.unsqueeze(1))
            : ZeroState([o.States, batched ? batch : 1], o.OutputSize, cell ? hidden_size : null, x.DType);
        if (batched) return Kept(engine.Run(input, state, training));
        var (output, h_n) = engine.Run(input.unsqueeze(batchDim), state, training);
        return Kept((output.squeeze(batchDim), new HiddenState(h_n.h.squeeze(1), h_n.c?.squeeze(1))));

        static (Tensor output, HiddenState h_n) Kept((Tensor output, HiddenState h_n) r)
            => (r.output.MoveToOuterDisposeScope(), r.h_n.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The rest of PyTorch's <c>check_forward_args</c> and ATen's checks, in their order, on states already known to
    /// have the right rank: sizes (seen after <c>unsqueeze(inserted)</c> for unbatched input), devices, the sequence
    /// length, and the dtypes the matrix products need.
    /// </summary>
    private void CheckStates(in TensorInfo x, HiddenState? hx, in TensorInfo h, in TensorInfo c, int inserted, long batch, long length,
        string? hint)
    {
        var o = Options;
        var parameters = ParameterInfo;
        var cell = o.Kind.has_cell;
        if (hx is not null)
        {
            Checks.HiddenSize(h, inserted, o.States, batch, o.OutputSize, cell ? "Expected hidden[0] size" : "Expected hidden size", hint);
            if (cell) Checks.HiddenSize(c, inserted, o.States, batch, hidden_size, "Expected hidden[1] size", hint);
            Checks.SameDevice(x, h, "hidden");
            if (cell) Checks.SameDevice(x, c, "hidden");
        }
        Checks.SameDevice(x, parameters, "parameter");
        Checks.SequenceLength(length);
        if (hx is null) return;
        Checks.ProductDType(h.DType, parameters.DType, "hx");
        if (cell) Checks.ProductDType(c.DType, parameters.DType, "hx");
    }

    /// <summary>
    /// Runs the stack on a <see cref="PackedSequence"/>: the sequence's own consistency (<see cref="PackedChecks"/>,
    /// shared with <c>nn.utils.rnn</c>), PyTorch's checks, hx permuted by <c>sorted_indices</c>, the engine over the
    /// packed steps, and h_n permuted back by <c>unsorted_indices</c>.
    /// </summary>
    private (PackedSequence output, HiddenState h_n) RunPacked(PackedSequence input, HiddenState? hx)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = Options;
        var cell = o.Kind.has_cell;
        CheckCall(input.data, hx, cell);
        var data = input.data;
        var (batchSizes, batch) = PackedChecks.Sequence(input, "input");
        var x = TensorInfo.Of(data);
        var parameters = ParameterInfo;
        Checks.InputDType(x.DType, parameters.DType);
        if (x.Rank != 2)
            throw new ArgumentException($"input must have 2 dimensions, got {x.Rank}", nameof(input));
        Checks.Input(x.DType, x.Size(1), parameters.DType, input_size);
        PackedChecks.Consistent(batchSizes, x.Size(0), "input");
        PackedChecks.Indices(input, batch, "input");
        var h = hx is null ? default : TensorInfo.Of(hx.Value.h);
        var c = hx?.c is null ? default : TensorInfo.Of(hx.Value.c);
        CheckStates(x, hx, h, c, -1, batch, batchSizes.Length, hint: null);

        var engine = EngineOf(EngineFor(batchSizes.Length, packed: true, batch, SequenceEngine.Records(data, hx, _weights)));
        using var scope = torch.NewDisposeScope();
        var state = hx is { } s0
            ? new HiddenState(Permute(s0.h, input.sorted_indices), s0.c is null ? null : Permute(s0.c, input.sorted_indices))
            : ZeroState([o.States, batch], o.OutputSize, cell ? hidden_size : null, x.DType);
        var (output, h_n) = engine.RunPacked(data, batchSizes, state, training);
        h_n = new HiddenState(Permute(h_n.h, input.unsorted_indices), h_n.c is null ? null : Permute(h_n.c, input.unsorted_indices));
        var packed = new PackedSequence(output, input.batch_sizes.alias(), input.sorted_indices?.alias(), input.unsorted_indices?.alias());
        return (packed.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope());

        static Tensor Permute(Tensor state, Tensor? indices) => indices is null ? state : state.index_select(1, indices);
    }

    private protected override void OnParametersMoved() => BuildEngines();

    private protected override void DisposeEngines()
    {
        _cells?.Dispose();
        _cells = null;
        _guardedCells = null;
    }
}

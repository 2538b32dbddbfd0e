using System;
using System.Globalization;
using System.Text;
using TorchRnn.Printing;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>nn.RNNBase</c>: what RNN, LSTM and GRU share, and the one type that holds any of them (a model that
/// picks its recurrent layer at run time, as PyTorch's <c>getattr(nn, rnn_type)(...)</c> does, holds an
/// <see cref="RNNBase"/> and passes <see cref="HiddenState"/>s). The options, the parameters under PyTorch's names,
/// the forward checks, unbatched and batch-first handling, default states, and the choice of engine live here; the
/// subclasses add typed <c>forward</c> and <c>call</c> overloads.
/// </summary>
/// <remarks>
/// <para>Shape key: N = batch size, L = sequence length, D = 2 if bidirectional else 1, H_in = <c>input_size</c>,
/// H_cell = <c>hidden_size</c>, H_out = <c>proj_size</c> if it is positive, else <c>hidden_size</c>.</para>
/// <para>What computes a call is chosen per call (<see cref="EngineChoice"/>): LibTorch's whole-sequence kernel through
/// TorchSharp's native module, TorchSharp's native cells one step at a time (a single step on the CPU, where the
/// whole-sequence kernel has a fixed cost per call), or TorchRnn's managed recurrence (projections, packed input on
/// the CPU). All compute PyTorch's equations with the same parameters; results agree to rounding.</para>
/// </remarks>
public abstract class RNNBase : RecurrentModule<(Tensor output, HiddenState h_n)>
{
    private readonly SequenceOptions _options;
    private readonly NativeSequence? _native;
    private readonly object _lazyLock = new();
    private LayerWeights[] _weights;
    private ManagedRecurrence? _managed;
    private CellRecurrence? _cells;
    private GuardedSequence? _guardedNative;
    private GuardedSequence? _guardedCells;
    private Func<SequenceEngine, SequenceEngine>? _kernelDouble;

    private protected RNNBase(RecurrentMode mode, long input_size, long hidden_size, long num_layers, bool bias,
        bool batch_first, double dropout, bool bidirectional, long proj_size, Device? device, ScalarType? dtype)
        : base(mode.SequenceName(), input_size, hidden_size, bias)
    {
        Checks.SequenceArguments(input_size, hidden_size, num_layers, dropout, proj_size);
        _options = new SequenceOptions(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size);
        if (proj_size == 0)
        {
            _native = NativeSequence.Create(_options, device, dtype);
            Adopt(_native.Module);
            _guardedNative = new GuardedSequence(_native, this);
        }
        else
        {
            // PyTorch's order: layer, then direction, then w_ih, w_hh, b_ih, b_hh, w_hr. It is also the order of the draws.
            var gates = mode.GateCount() * hidden_size;
            for (var layer = 0; layer < num_layers; layer++)
            {
                for (var direction = 0; direction < _options.Directions; direction++)
                {
                    var suffix = LayerWeights.Suffix(layer, direction);
                    AddParameter("weight_ih" + suffix, [gates, _options.LayerInputSize(layer)], device, dtype);
                    AddParameter("weight_hh" + suffix, [gates, _options.OutputSize], device, dtype);
                    if (bias)
                    {
                        AddParameter("bias_ih" + suffix, [gates], device, dtype);
                        AddParameter("bias_hh" + suffix, [gates], device, dtype);
                    }
                    AddParameter("weight_hr" + suffix, [proj_size, hidden_size], device, dtype);
                }
            }
        }
        reset_parameters();
        _weights = LayerWeights.Of(this, num_layers, _options.Directions, bias, proj_size > 0);
    }

    /// <summary>PyTorch's mode string: <c>LSTM</c>, <c>GRU</c>, <c>RNN_TANH</c> or <c>RNN_RELU</c>.</summary>
    public string mode => _options.Mode.ModeString();

    /// <summary>The number of stacked recurrent layers.</summary>
    public long num_layers => _options.NumLayers;

    /// <summary>Whether input and output are (N, L, H) instead of (L, N, H). The states are never batch-first.</summary>
    public bool batch_first => _options.BatchFirst;

    /// <summary>The probability of zeroing each output of every layer but the last, in training mode.</summary>
    public double dropout => _options.Dropout;

    /// <summary>Whether each layer also runs over the reversed sequence (D = 2).</summary>
    public bool bidirectional => _options.Bidirectional;

    /// <summary>LSTM's projection size H_out, or 0 for no projection (always 0 for RNN and GRU).</summary>
    public long proj_size => _options.ProjSize;

    /// <summary>
    /// Tests ask for an engine here to check each against PyTorch's fixtures; null lets <see cref="EngineChoice"/>
    /// choose. A vendor kernel asked for is still behind the kernel check, which may route the call around it.
    /// </summary>
    internal Engine? ForcedEngine { get; set; }

    /// <summary>The verdicts this module reads and adds to: the process's, unless a test or the self-check gives it its own.</summary>
    internal KernelGuard Guard { get; set; } = KernelGuard.Shared;

    /// <summary>The options, for the kernel check.</summary>
    internal SequenceOptions Options => _options;

    /// <summary>The current weights of each layer-direction, for the kernel check's reference.</summary>
    internal LayerWeights[] Weights => _weights;

    /// <summary>The managed engine: the kernel check's fallback.</summary>
    internal ManagedRecurrence ManagedEngine => Managed();

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
        lock (_lazyLock)
        {
            _kernelDouble = wrap;
            if (_native is not null) _guardedNative = new GuardedSequence(wrap(_native), this);
            _guardedCells = null;
        }
    }

    private protected RecurrentMode Mode => _options.Mode;

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
        return s.ToString();
    }

    /// <summary>
    /// PyTorch's <c>flatten_parameters</c>: on CUDA, lays the weights out in one block for cuDNN. Harmless elsewhere.
    /// </summary>
    public void flatten_parameters() => _native?.FlattenParameters();

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
        foreach (var hook in _packedPreHooks.Values)
        {
            if (hook(this, input, hx) is { } modified) (input, hx) = modified;
        }
        var result = forward(input, hx);
        foreach (var hook in _packedHooks.Values)
        {
            if (hook(this, input, hx, result) is { } modified) result = modified;
        }
        foreach (var hook in module_post_hooks.Values) hook(this);
        return result;
    }

    private readonly System.Collections.Generic.Dictionary<Guid, PackedForwardPreHook> _packedPreHooks = new();
    private readonly System.Collections.Generic.Dictionary<Guid, PackedForwardHook> _packedHooks = new();

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
    public IDisposable RegisterPackedForwardPreHook(PackedForwardPreHook hook) => Add(_packedPreHooks, hook);

    /// <summary>
    /// Registers a hook that <see cref="call(PackedSequence, HiddenState?)"/> runs after the forward. PyTorch's
    /// <c>register_forward_hook</c> takes hooks for any input; here packed input has hooks of its own.
    /// </summary>
    /// <param name="hook">The hook.</param>
    /// <returns>Disposing it removes the hook.</returns>
    /// <example><code>using var handle = gru.RegisterPackedForwardHook((m, x, hx, result) => { Console.WriteLine(result.h_n.h.shape); return null; });</code></example>
    public IDisposable RegisterPackedForwardHook(PackedForwardHook hook) => Add(_packedHooks, hook);

    private static IDisposable Add<T>(System.Collections.Generic.Dictionary<Guid, T> hooks, T hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var key = Guid.NewGuid();
        hooks.Add(key, hook);
        return new HookHandle(() => hooks.Remove(key));
    }

    private sealed class HookHandle(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }

    /// <summary>h as a state (typed overloads of RNN and GRU).</summary>
    private protected static HiddenState? State(Tensor? h) => h is null ? null : new HiddenState?(new HiddenState(h));

    /// <summary>(h, c) as a state (typed overloads of LSTM), refusing a pair with one null.</summary>
    private protected static HiddenState? State((Tensor h, Tensor c)? hx)
    {
        if (hx is not { } pair) return null;
        Checks.StatePair(pair.h, pair.c);
        return new HiddenState(pair.h, pair.c);
    }

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

    /// <summary>The engine a call takes, by the rule in <see cref="EngineChoice"/> unless a test forced one.</summary>
    internal Engine EngineFor(long length, bool packed)
        => ForcedEngine ?? EngineChoice.ForSequence(_options, ParameterInfo.DeviceType, ParameterInfo.DType, length, packed);

    /// <summary>
    /// The engine of that kind; without a native module (projections) only the managed one exists. The vendor kernels
    /// come behind the kernel check (<see cref="GuardedSequence"/>).
    /// </summary>
    private SequenceEngine EngineOf(Engine kind) => kind switch
    {
        Engine.Native when _guardedNative is not null => _guardedNative,
        Engine.Cells when _native is not null => GuardedCells(),
        _ => Managed(),
    };

    private GuardedSequence GuardedCells()
    {
        lock (_lazyLock)
        {
            if (_guardedCells is not null) return _guardedCells;
            _cells ??= new CellRecurrence(_options, _weights, ParameterDevice, ParameterInfo.DType);
            return _guardedCells = new GuardedSequence(_kernelDouble?.Invoke(_cells) ?? _cells, this);
        }
    }

    private ManagedRecurrence Managed()
    {
        lock (_lazyLock) return _managed ??= new ManagedRecurrence(_options, _weights);
    }

    /// <summary>
    /// PyTorch's forward checks in PyTorch's order, unbatched and batch-first handling, the default zero states, then
    /// the engine for this call.
    /// </summary>
    private (Tensor output, HiddenState h_n) RunSequence(Tensor input, HiddenState? hx)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(input);
        var lstm = Mode.HasCell();
        var h0 = hx?.h;
        var c0 = hx?.c;
        Checks.Tensors(input, hx, lstm);
        var x = TensorInfo.Of(input);
        Checks.InputRank(GetName(), x.Rank, saysTensor: !lstm && Mode != RecurrentMode.Gru);
        var batched = x.Rank == 3;
        var h = h0 is null ? default : TensorInfo.Of(h0);
        var c = c0 is null ? default : TensorInfo.Of(c0);
        if (h0 is not null)
        {
            if (lstm) Checks.StateRanks(batched, h.Rank, c.Rank);
            else Checks.HiddenRank(batched, h.Rank);
        }

        // The checks see the shapes PyTorch sees after unsqueezing unbatched input; nothing is unsqueezed yet.
        var o = _options;
        var batchDim = batch_first ? 0 : 1;
        var inserted = batched ? -1 : batchDim;
        var stateInserted = batched ? -1 : 1;
        var parameters = ParameterInfo;
        Checks.Input(x.DType, x.Size(2, inserted), parameters.DType, input_size);
        var batch = x.Size(batchDim, inserted);
        var length = x.Size(1 - batchDim, inserted);
        var hint = h0 is not null && batched && h.Rank == 3 && h.Is(o.States, x.Size(1 - batchDim), o.OutputSize)
            ? Checks.BatchFirstHint(batch_first)
            : null;
        CheckStates(x, hx, h, c, stateInserted, batch, length, hint);

        var engine = EngineOf(EngineFor(length, packed: false));
        // Batched input, the common case, needs no dispose scope: its only temporaries are the default states.
        if (batched)
        {
            Tensor? zeroH = null, zeroC = null;
            try
            {
                h0 ??= zeroH = torch.zeros(o.States, batch, o.OutputSize, x.DType, ParameterDevice);
                if (lstm) c0 ??= zeroC = torch.zeros(o.States, batch, hidden_size, x.DType, ParameterDevice);
                return engine.Run(input, new HiddenState(h0, c0), training);
            }
            finally
            {
                zeroH?.Dispose();
                zeroC?.Dispose();
            }
        }

        using var scope = torch.NewDisposeScope();
        var state = new HiddenState(
            h0?.unsqueeze(1) ?? torch.zeros(o.States, 1, o.OutputSize, x.DType, ParameterDevice),
            !lstm ? null : c0?.unsqueeze(1) ?? torch.zeros(o.States, 1, hidden_size, x.DType, ParameterDevice));
        var (output, h_n) = engine.Run(input.unsqueeze(batchDim), state, training);
        return (output.squeeze(batchDim).MoveToOuterDisposeScope(),
            new HiddenState(h_n.h.squeeze(1), h_n.c?.squeeze(1)).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The rest of PyTorch's <c>check_forward_args</c> and ATen's checks, in their order, on states already known to
    /// have the right rank: sizes (seen after <c>unsqueeze(inserted)</c> for unbatched input), devices, the sequence
    /// length, and the dtypes the matrix products need.
    /// </summary>
    private void CheckStates(in TensorInfo x, HiddenState? hx, in TensorInfo h, in TensorInfo c, int inserted, long batch, long length,
        string? hint)
    {
        var o = _options;
        var parameters = ParameterInfo;
        var lstm = Mode.HasCell();
        if (hx is not null)
        {
            Checks.HiddenSize(h, inserted, o.States, batch, o.OutputSize, lstm ? "Expected hidden[0] size" : "Expected hidden size", hint);
            if (lstm) Checks.HiddenSize(c, inserted, o.States, batch, hidden_size, "Expected hidden[1] size", hint);
            Checks.SameDevice(x, h, "hidden");
            if (lstm) Checks.SameDevice(x, c, "hidden");
        }
        Checks.SameDevice(x, parameters, "parameter");
        Checks.SequenceLength(length);
        if (hx is null) return;
        Checks.ProductDType(h.DType, parameters.DType, "hx");
        if (lstm) Checks.ProductDType(c.DType, parameters.DType, "hx");
    }

    /// <summary>
    /// Runs the stack on a <see cref="PackedSequence"/>: the sequence's own consistency, PyTorch's checks, hx
    /// permuted by <c>sorted_indices</c>, the engine over the packed steps, and h_n permuted back by
    /// <c>unsorted_indices</c>.
    /// </summary>
    private (PackedSequence output, HiddenState h_n) RunPacked(PackedSequence input, HiddenState? hx)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(input);
        var lstm = Mode.HasCell();
        var data = input.data;
        Checks.Tensors(data, hx, lstm);
        Checks.Live(input.batch_sizes, "input");
        PackedChecks.BatchSizes(input.batch_sizes, "input");
        var batchSizes = input.batch_sizes.data<long>().ToArray();
        var x = TensorInfo.Of(data);
        var parameters = ParameterInfo;
        Checks.InputDType(x.DType, parameters.DType);
        if (x.Rank != 2)
            throw new ArgumentException($"input must have 2 dimensions, got {x.Rank}", nameof(input));
        Checks.Input(x.DType, x.Size(1), parameters.DType, input_size);
        PackedChecks.Consistent(batchSizes, x.Size(0), "input");
        var batch = batchSizes.Length == 0 ? 0 : batchSizes[0];
        PackedChecks.Indices(input.sorted_indices, batch, "sorted_indices", "input");
        PackedChecks.Indices(input.unsorted_indices, batch, "unsorted_indices", "input");
        var o = _options;
        var h0 = hx?.h;
        var c0 = hx?.c;
        var h = h0 is null ? default : TensorInfo.Of(h0);
        var c = c0 is null ? default : TensorInfo.Of(c0);
        CheckStates(x, hx, h, c, -1, batch, batchSizes.Length, hint: null);

        var engine = EngineOf(EngineFor(batchSizes.Length, packed: true));
        using var scope = torch.NewDisposeScope();
        var state = new HiddenState(
            h0 is null ? torch.zeros(o.States, batch, o.OutputSize, x.DType, ParameterDevice) : Permute(h0, input.sorted_indices),
            !lstm ? null : c0 is null ? torch.zeros(o.States, batch, hidden_size, x.DType, ParameterDevice) : Permute(c0, input.sorted_indices));
        var (output, h_n) = engine.RunPacked(data, batchSizes, state, training);
        h_n = new HiddenState(Permute(h_n.h, input.unsorted_indices), h_n.c is null ? null : Permute(h_n.c, input.unsorted_indices));
        var packed = new PackedSequence(output, input.batch_sizes.alias(), input.sorted_indices?.alias(), input.unsorted_indices?.alias());
        return (packed.MoveToOuterDisposeScope(), h_n.MoveToOuterDisposeScope());

        static Tensor Permute(Tensor state, Tensor? indices) => indices is null ? state : state.index_select(1, indices);
    }

    private protected override void OnParametersMoved()
    {
        lock (_lazyLock)
        {
            _weights = LayerWeights.Of(this, num_layers, _options.Directions, bias, proj_size > 0);
            _managed = null;
            _cells?.Dispose();
            _cells = null;
            _guardedCells = null;
        }
    }

    private protected override void DisposeEngines()
    {
        lock (_lazyLock)
        {
            _cells?.Dispose();
            _cells = null;
            _guardedCells = null;
        }
    }
}

public static partial class nn
{
    /// <summary>
    /// Creates the recurrent layer PyTorch's mode string names, as the common type <see cref="TorchRnn.RNNBase"/>: the
    /// C# for PyTorch's <c>getattr(nn, rnn_type)(...)</c> or <c>nn.RNNBase(mode, ...)</c>.
    /// </summary>
    /// <param name="mode"><c>LSTM</c>, <c>GRU</c>, <c>RNN_TANH</c> or <c>RNN_RELU</c>.</param>
    /// <param name="input_size">H_in, the number of features of each input step.</param>
    /// <param name="hidden_size">H_cell, the number of features of the hidden (and cell) state.</param>
    /// <param name="num_layers">How many layers are stacked.</param>
    /// <param name="bias">Whether the layers use <c>b_ih</c> and <c>b_hh</c>.</param>
    /// <param name="batch_first">Whether input and output are (N, L, feature).</param>
    /// <param name="dropout">Dropout probability on each layer's output but the last, in training mode.</param>
    /// <param name="bidirectional">Whether each layer also reads the sequence backwards.</param>
    /// <param name="proj_size">LSTM only: if positive, h is projected to this size.</param>
    /// <param name="device">Where the parameters live; the CPU when null.</param>
    /// <param name="dtype">The parameters' dtype; TorchSharp's default (float32) when null.</param>
    /// <returns>An <see cref="TorchRnn.LSTM"/>, <see cref="TorchRnn.GRU"/> or <see cref="TorchRnn.RNN"/>, drawn as PyTorch draws it.</returns>
    /// <exception cref="ArgumentException">
    /// An unknown mode (<c>Unrecognized RNN mode: ...</c>), <paramref name="proj_size"/> on a mode other than LSTM
    /// (<c>proj_size argument is only supported for LSTM, not RNN or GRU</c>), or any argument the layer refuses.
    /// </exception>
    /// <example>
    /// <code>
    /// RNNBase rnn = nn.RNNBase("GRU", 200, 200, num_layers: 2, dropout: 0.2);
    /// var (output, hidden) = rnn.call(torch.randn(35, 20, 200));
    /// Py.print(rnn); // GRU(200, 200, num_layers=2, dropout=0.2)
    /// </code>
    /// </example>
    public static RNNBase RNNBase(string mode, long input_size, long hidden_size, long num_layers = 1, bool bias = true,
        bool batch_first = false, double dropout = 0.0, bool bidirectional = false, long proj_size = 0, Device? device = null,
        ScalarType? dtype = null)
    {
        var kind = RecurrentModes.FromModeString(mode);
        if (proj_size != 0 && kind != RecurrentMode.Lstm)
            throw new ArgumentException("proj_size argument is only supported for LSTM, not RNN or GRU", nameof(proj_size));
        return kind switch
        {
            RecurrentMode.Lstm => LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, device, dtype),
            RecurrentMode.Gru => GRU(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype),
            _ => RNN(input_size, hidden_size, num_layers, kind.Nonlinearity(), bias, batch_first, dropout, bidirectional, device, dtype),
        };
    }
}

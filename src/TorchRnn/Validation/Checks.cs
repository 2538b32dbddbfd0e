using System;
using TorchRnn.Printing;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Validation;

/// <summary>
/// The argument and input checks, run before any native call so that bad input surfaces as an
/// <see cref="ArgumentException"/> rather than a native exception. Most are PyTorch's (Python's <c>RNNBase</c> and
/// ATen's), in PyTorch's order and with its wording; those PyTorch does not have (it fails natively, silently, or
/// with an error not worth copying) are TorchRnn's own, and their summaries begin "TorchRnn's check".
/// </summary>
internal static class Checks
{
    // ---- construction ----

    /// <summary>The nonlinearity of RNN and RNNCell.</summary>
    public static void Nonlinearity(string nonlinearity)
    {
        ArgumentNullException.ThrowIfNull(nonlinearity);
        if (nonlinearity != "tanh" && nonlinearity != "relu")
            throw new ArgumentException($"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.", nameof(nonlinearity));
    }

    /// <summary>RNNBase.__init__'s checks, in PyTorch's order, and its warning about dropout on one layer.</summary>
    public static void SequenceArguments(long input_size, long hidden_size, long num_layers, double dropout, long proj_size)
    {
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout,
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
        if (dropout > 0 && num_layers == 1)
            Warnings.Warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects " +
                          $"num_layers greater than 1, but got dropout={PythonFloat.Repr(dropout)} and num_layers={num_layers}");
        if (hidden_size <= 0)
            throw new ArgumentOutOfRangeException(nameof(hidden_size), hidden_size, "hidden_size must be greater than zero");
        if (num_layers <= 0)
            throw new ArgumentOutOfRangeException(nameof(num_layers), num_layers, "num_layers must be greater than zero");
        if (input_size <= 0)
            throw new ArgumentOutOfRangeException(nameof(input_size), input_size, "input_size must be greater than zero");
        if (proj_size < 0)
            throw new ArgumentOutOfRangeException(nameof(proj_size), proj_size, "proj_size should be a positive integer or zero to disable projections");
        if (proj_size >= hidden_size)
            throw new ArgumentOutOfRangeException(nameof(proj_size), proj_size, "proj_size has to be smaller than hidden_size");
    }

    /// <summary>
    /// Cells validate nothing in PyTorch; a negative size fails in <c>torch.empty</c> for <c>weight_ih</c>. The same
    /// message is raised here, before the allocation.
    /// </summary>
    public static void CellArguments(long input_size, long hidden_size, long gates)
    {
        var rows = gates * hidden_size;
        if (rows < 0 || input_size < 0)
            throw new ArgumentOutOfRangeException(rows < 0 ? nameof(hidden_size) : nameof(input_size),
                $"Trying to create tensor with negative dimension {(rows < 0 ? rows : input_size)}: [{rows}, {input_size}]");
    }

    /// <summary>
    /// <c>F.dropout</c>'s check (PyTorch's ValueError), which the AWD-LSTM regularisers make too: awd-lstm-lm's code
    /// passes <c>1 - p</c> to <c>bernoulli_</c>, which fails natively, or not at all, outside [0, 1].
    /// </summary>
    public static void DropoutProbability(double dropout)
    {
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout,
                $"dropout probability has to be between 0 and 1, but got {PythonFloat.Repr(dropout)}");
    }

    // ---- forward of RNN, LSTM, GRU ----

    /// <summary>The rank check at the top of forward: 2-D (unbatched) or 3-D (batched).</summary>
    public static void InputRank(string module, long dim, bool saysTensor)
    {
        if (dim != 2 && dim != 3)
            throw new ArgumentException($"{module}: Expected input to be 2D or 3D, got {dim}D{(saysTensor ? " tensor" : "")} instead", "input");
    }

    /// <summary>hx must have the input's rank: 2-D for unbatched input, 3-D for batched.</summary>
    public static void HiddenRank(bool batched, long dim)
    {
        if (batched && dim != 3)
            throw new ArgumentException($"For batched 3-D input, hx should also be 3-D but got {dim}-D tensor", "hx");
        if (!batched && dim != 2)
            throw new ArgumentException($"For unbatched 2-D input, hx should also be 2-D but got {dim}-D tensor", "hx");
    }

    /// <summary>LSTM's (h_0, c_0) must both have the input's rank.</summary>
    public static void StateRanks(bool batched, long hDim, long cDim)
    {
        var want = batched ? 3 : 2;
        if (hDim != want || cDim != want)
            throw new ArgumentException(
                $"For {(batched ? "batched 3-D" : "unbatched 2-D")} input, hx and cx should also be {want}-D but got ({hDim}-D, {cDim}-D) tensors", "hx");
    }

    /// <summary>
    /// TorchRnn's check: LSTM's (h_0, c_0) and LSTMCell's (h, c) come together or not at all. PyTorch fails on a None
    /// inside the pair with an AttributeError that has no wording worth copying; here it is an
    /// <see cref="ArgumentNullException"/>.
    /// </summary>
    public static void StatePair(Tensor? h, Tensor? c)
    {
        if ((h is null) != (c is null))
            throw new ArgumentNullException("hx",
                $"hx must hold two tensors, (h_0, c_0), but {(h is null ? "h_0" : "c_0")} is null; leave hx out for zero states.");
    }

    /// <summary>
    /// The checks on the tensors themselves, before anything is read from them: a state of the module's kind (TorchRnn's
    /// check: h and c for LSTM, h alone otherwise), nothing disposed (TorchRnn's), everything dense.
    /// </summary>
    public static void Tensors(Tensor input, HiddenState? hx, bool hasCell)
    {
        Live(input, nameof(input));
        Dense(input, nameof(input));
        if (hx is not { } state) return;
        if (hasCell) StatePair(state.h, state.c);
        else if (state.h is null) throw new ArgumentNullException(nameof(hx), "hx holds no tensor; leave hx out for zero states.");
        else if (state.c is not null)
            throw new ArgumentException("hx holds a cell state c, which only LSTM and LSTMCell take; pass h alone.", nameof(hx));
        Live(state.h, nameof(hx));
        Live(state.c, nameof(hx));
        Dense(state.h, nameof(hx));
        Dense(state.c, nameof(hx));
    }

    /// <summary>TorchRnn's check: a disposed tensor is named, rather than failing natively on an empty handle.</summary>
    public static void Live(Tensor? tensor, string paramName)
    {
        if (tensor is not null && tensor.IsInvalid)
            throw new ArgumentException($"{paramName} is a disposed tensor: its native memory has been freed.", paramName);
    }

    /// <summary>
    /// TorchRnn's check: input and states must be dense. PyTorch is not consistent here: 1.13 runs a sparse h through
    /// RNN and LSTM and a sparse input through the cells, and fails natively (reshape is not implemented for sparse
    /// tensors) on the other combinations. TorchRnn refuses them all alike, before any native call.
    /// </summary>
    public static void Dense(Tensor? tensor, string paramName)
    {
        if (tensor is not null && tensor.is_sparse)
            throw new ArgumentException($"{paramName} must be a dense tensor, got a sparse one", paramName);
    }

    /// <summary>PyTorch's <c>check_input</c>: dtype of the weights, then the feature size (the shape's last dim).</summary>
    public static void Input(ScalarType dtype, long features, ScalarType weightDType, long input_size)
    {
        InputDType(dtype, weightDType);
        if (features != input_size)
            throw new ArgumentException($"input.size(-1) must be equal to input_size. Expected {input_size}, got {features}", "input");
    }

    /// <summary>
    /// The first half of <c>check_input</c>: the input has the weights' dtype. PyTorch 2.x's message, and for a
    /// floating-point input TorchRnn's hint, as for batch_first: the two ways to make the dtypes agree.
    /// </summary>
    public static void InputDType(ScalarType dtype, ScalarType weightDType)
    {
        if (dtype == weightDType)
            return;
        var (expected, got) = (TensorFormatter.DTypeName(weightDType), TensorFormatter.DTypeName(dtype));
        var hint = IsFloatingPoint(dtype) && IsFloatingPoint(weightDType)
            ? $". Convert it with input.to({expected}), or build the module with dtype: {got}"
            : "";
        throw new ArgumentException($"input must have the type {expected}, got type {got}{hint}", "input");
    }

    private static bool IsFloatingPoint(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>
    /// PyTorch's <c>check_hidden_size</c> on <paramref name="hx"/> (after <c>unsqueeze(inserted)</c> for unbatched
    /// input), with its message prefix (<c>Expected hidden size</c>, <c>Expected hidden[0] size</c>).
    /// </summary>
    public static void HiddenSize(in TensorInfo hx, int inserted, long d0, long d1, long d2, string message = "Expected hidden size",
        string? hint = null)
    {
        if (!hx.Is(d0, d1, d2, inserted))
            throw new ArgumentException($"{message} {TensorFormatter.PythonTuple([d0, d1, d2])}, got {hx.ShapeList(inserted)}{hint}", "hx");
    }

    /// <summary>
    /// TorchRnn's hint, added to a hidden-size error (PyTorch gives none) when hx would fit the input read the other
    /// way round (batch-first data given to a module without <c>batch_first</c>, or the reverse).
    /// </summary>
    public static string BatchFirstHint(bool batch_first) => batch_first
        ? ". Did you mean batch_first=False? The input's second dimension, not its first, matches hx's batch"
        : ". Did you mean batch_first=True? The input's first dimension, not its second, matches hx's batch";

    /// <summary>ATen refuses an empty sequence.</summary>
    public static void SequenceLength(long length)
    {
        if (length == 0)
            throw new ArgumentException("Expected sequence length to be larger than 0 in RNN", "input");
    }

    /// <summary>ATen's <c>check_attributes</c>: hidden state, then parameters, on the input's device.</summary>
    public static void SameDevice(in TensorInfo input, in TensorInfo other, string name)
    {
        if (!input.OnSameDevice(other))
            throw new ArgumentException(
                $"Input and {name} tensors are not at the same device, found input tensor at {input.DeviceName} and {name} tensor at {other.DeviceName}",
                name == "hidden" ? "hx" : "input");
    }

    /// <summary>
    /// A tensor whose dtype differs from the weights'. A cell's input fails in the matrix product, with ATen's message
    /// for that (<c>mat1 and mat2 must have the same dtype, but got Double and Float</c>). A state (h or c, named
    /// <c>hx</c>) is checked after the input, which by then has the weights' dtype, and gets ATen's own wording for a
    /// state's dtype, <c>check_attributes</c>'s (as ATen's cuDNN RNN raises it; on the CPU PyTorch fails later, in the
    /// matrix product): <c>Input and hidden tensors are not the same dtype, found input tensor with Float and hidden
    /// tensor with Double</c>.
    /// </summary>
    public static void ProductDType(ScalarType dtype, ScalarType weightDType, string paramName)
    {
        if (dtype == weightDType)
            return;
        throw new ArgumentException(paramName == "hx"
            ? $"Input and hidden tensors are not the same dtype, found input tensor with {NativeDType(weightDType)} and hidden tensor with {NativeDType(dtype)}"
            : $"mat1 and mat2 must have the same dtype, but got {NativeDType(dtype)} and {NativeDType(weightDType)}", paramName);
    }

    // ---- forward of the cells ----

    /// <summary>The cells' rank checks: 1-D (unbatched) or 2-D (batched).</summary>
    public static void CellRank(string module, long dim, string what)
    {
        if (dim != 1 && dim != 2)
            throw new ArgumentException($"{module}: Expected {what} to be 1D or 2D, got {dim}D instead", what == "input" ? "input" : "hx");
    }

    /// <summary>LSTMCell's check of each of (h, c).</summary>
    public static void CellStateRank(string module, int index, long dim)
    {
        if (dim != 1 && dim != 2)
            throw new ArgumentException($"{module}: Expected hx[{index}] to be 1D or 2D, got {dim}D instead", "hx");
    }

    /// <summary>ATen's <c>check_rnn_cell_forward_input</c>, on the (batched) input's feature count.</summary>
    public static void CellInput(long features, long input_size)
    {
        if (features != input_size)
            throw new ArgumentException($"input has inconsistent input_size: got {features} expected {input_size}", "input");
    }

    /// <summary>
    /// ATen's <c>check_rnn_cell_forward_hidden</c> for <c>hidden{label}</c>, on <paramref name="hx"/> as batched input
    /// sees it (after <c>unsqueeze(0)</c> when the input was unbatched).
    /// </summary>
    public static void CellHidden(long batch, in TensorInfo hx, bool unbatched, long hidden_size, int label)
    {
        var inserted = unbatched ? 0 : -1;
        var rank = hx.Rank + (unbatched ? 1 : 0);
        if (hx.Size(0, inserted) != batch)
            throw new ArgumentException($"Input batch size {batch} doesn't match hidden{label} batch size {hx.Size(0, inserted)}", "hx");
        if (rank < 2)
            throw new ArgumentException("Dimension out of range (expected to be in range of [-1, 0], but got 1)", "hx");
        if (hx.Size(1, inserted) != hidden_size)
            throw new ArgumentException($"hidden{label} has inconsistent hidden_size: got {hx.Size(1, inserted)}, expected {hidden_size}", "hx");
        // PyTorch would broadcast a 2-D hx against 1-D input into a 2-D result; TorchRnn refuses that instead.
        if (unbatched && rank != 2)
            throw new ArgumentException($"For unbatched 1-D input, hx should also be 1-D but got {rank - 1}-D tensor", "hx");
    }

    /// <summary>Cells have no device check in ATen; its generic message for tensors on two devices.</summary>
    public static void CellDevice(in TensorInfo a, in TensorInfo b)
    {
        if (!a.OnSameDevice(b))
            throw new ArgumentException(
                $"Expected all tensors to be on the same device, but found at least two devices, {b.DeviceName} and {a.DeviceName}!");
    }

    /// <summary>ATen's C++ name of a dtype, as native messages print it: <c>Float</c>, <c>Double</c>.</summary>
    internal static string NativeDType(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Byte => "Byte",
        torch.ScalarType.Int8 => "Char",
        torch.ScalarType.Int16 => "Short",
        torch.ScalarType.Int32 => "Int",
        torch.ScalarType.Int64 => "Long",
        torch.ScalarType.Float16 => "Half",
        torch.ScalarType.Float32 => "Float",
        torch.ScalarType.Float64 => "Double",
        torch.ScalarType.ComplexFloat32 => "ComplexFloat",
        torch.ScalarType.ComplexFloat64 => "ComplexDouble",
        torch.ScalarType.Bool => "Bool",
        torch.ScalarType.BFloat16 => "BFloat16",
        _ => dtype.ToString(),
    };
}

using System;
using TorchRnn.Printing;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn;

/// <summary>
/// PyTorch's argument and input checks, with PyTorch 2.x's wording, run before any native call so that bad input
/// surfaces as an <see cref="ArgumentException"/> rather than a native exception.
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
    /// LSTM's (h_0, c_0) and LSTMCell's (h, c) come together or not at all. PyTorch fails on a None inside the pair
    /// with an AttributeError that has no wording worth copying; here it is an <see cref="ArgumentNullException"/>.
    /// </summary>
    public static void StatePair(Tensor? h, Tensor? c)
    {
        if ((h is null) != (c is null))
            throw new ArgumentNullException("hx",
                $"hx must hold two tensors, (h_0, c_0), but {(h is null ? "h_0" : "c_0")} is null; leave hx out for zero states.");
    }

    /// <summary>
    /// Input and states must be dense: LibTorch's recurrent code reshapes them, which sparse tensors do not support
    /// (a native error in PyTorch too, with no wording worth copying).
    /// </summary>
    public static void Dense(Tensor? tensor, string paramName)
    {
        if (tensor is not null && tensor.is_sparse)
            throw new ArgumentException($"{paramName} must be a dense tensor, got a sparse one", paramName);
    }

    /// <summary>PyTorch's <c>check_input</c>: dtype of the weights, then the feature size.</summary>
    public static void Input(Tensor input, ScalarType weightDType, long input_size)
    {
        if (input.dtype != weightDType)
            throw new ArgumentException($"input must have the type {TensorFormatter.DTypeName(weightDType)}, got type {TensorFormatter.DTypeName(input.dtype)}", nameof(input));
        var features = input.size(-1);
        if (features != input_size)
            throw new ArgumentException($"input.size(-1) must be equal to input_size. Expected {input_size}, got {features}", nameof(input));
    }

    /// <summary>PyTorch's <c>check_hidden_size</c>, with its message prefix (<c>Expected hidden size</c>, <c>Expected hidden[0] size</c>).</summary>
    public static void HiddenSize(Tensor hx, long d0, long d1, long d2, string message = "Expected hidden size")
    {
        var shape = hx.shape;
        if (shape.Length != 3 || shape[0] != d0 || shape[1] != d1 || shape[2] != d2)
            throw new ArgumentException($"{message} {TensorFormatter.PythonTuple([d0, d1, d2])}, got {"[" + string.Join(", ", shape) + "]"}", "hx");
    }

    /// <summary>ATen refuses an empty sequence.</summary>
    public static void SequenceLength(long length)
    {
        if (length == 0)
            throw new ArgumentException("Expected sequence length to be larger than 0 in RNN", "input");
    }

    /// <summary>ATen's <c>check_attributes</c>: hidden state, then parameters, on the input's device.</summary>
    public static void SameDevice(Tensor input, Tensor other, string name)
    {
        if (input.device_type != other.device_type || input.device_index != other.device_index)
            throw new ArgumentException(
                $"Input and {name} tensors are not at the same device, found input tensor at " +
                $"{TensorFormatter.DeviceName(input)} and {name} tensor at {TensorFormatter.DeviceName(other)}",
                name == "hidden" ? "hx" : "input");
    }

    /// <summary>
    /// A tensor whose dtype differs from the weights' fails in the matrix product; ATen's message for that
    /// (<c>mat1 and mat2 must have the same dtype, but got Double and Float</c>).
    /// </summary>
    public static void ProductDType(Tensor tensor, ScalarType weightDType, string paramName)
    {
        if (tensor.dtype != weightDType)
            throw new ArgumentException(
                $"mat1 and mat2 must have the same dtype, but got {NativeDType(tensor.dtype)} and {NativeDType(weightDType)}", paramName);
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

    /// <summary>ATen's <c>check_rnn_cell_forward_input</c>.</summary>
    public static void CellInput(Tensor input, long input_size)
    {
        var features = input.size(1);
        if (features != input_size)
            throw new ArgumentException($"input has inconsistent input_size: got {features} expected {input_size}", nameof(input));
    }

    /// <summary>ATen's <c>check_rnn_cell_forward_hidden</c> for <c>hidden{label}</c>, on batched (2-D) input.</summary>
    public static void CellHidden(Tensor input, Tensor hx, long hidden_size, int label, bool unbatched)
    {
        var batch = input.size(0);
        var hxShape = hx.shape;
        if (hxShape[0] != batch)
            throw new ArgumentException($"Input batch size {batch} doesn't match hidden{label} batch size {hxShape[0]}", "hx");
        if (hxShape.Length < 2)
            throw new ArgumentException("Dimension out of range (expected to be in range of [-1, 0], but got 1)", "hx");
        if (hxShape[1] != hidden_size)
            throw new ArgumentException($"hidden{label} has inconsistent hidden_size: got {hxShape[1]}, expected {hidden_size}", "hx");
        // PyTorch would broadcast a 2-D hx against 1-D input into a 2-D result; TorchRnn refuses that instead.
        if (unbatched && hxShape.Length != 2)
            throw new ArgumentException($"For unbatched 1-D input, hx should also be 1-D but got {hxShape.Length - 1}-D tensor", "hx");
    }

    /// <summary>Cells have no device check in ATen; its generic message for tensors on two devices.</summary>
    public static void CellDevice(Tensor a, Tensor b)
    {
        if (a.device_type != b.device_type || a.device_index != b.device_index)
            throw new ArgumentException(
                "Expected all tensors to be on the same device, but found at least two devices, " +
                $"{TensorFormatter.DeviceName(b)} and {TensorFormatter.DeviceName(a)}!");
    }

    /// <summary>ATen's C++ name of a dtype, as native messages print it: <c>Float</c>, <c>Double</c>.</summary>
    private static string NativeDType(torch.ScalarType dtype) => dtype switch
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

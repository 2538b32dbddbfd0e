using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using TorchRnn.Onnx.Protobuf;
using TorchRnn.Onnx.Quantization;

namespace TorchRnn.Onnx;

/// <summary>
/// Dynamic int8 quantisation of an exported model, for smaller files and CPU inference: PyTorch's
/// <c>torch.ao.quantization.quantize_dynamic(model, {nn.LSTM, nn.Linear})</c> done on the ONNX file, as ONNX Runtime's
/// Python <c>onnxruntime.quantization.quantize_dynamic(model_input, model_output)</c> does, with no Python.
/// </summary>
/// <remarks>
/// Weights are stored as int8 with one scale per output channel computed here (symmetric: zero point 0,
/// <c>scale = max|w| / 127</c>, so every weight is within <c>scale / 2</c> of its float value); activations stay
/// float32 between operators and are quantised to uint8 at run time over the range of the values at hand. What is
/// rewritten, in the main graph:
/// <list type="bullet">
/// <item><c>LSTM</c> (an <see cref="LSTM"/> without <c>proj_size</c>) becomes com.microsoft's
/// <c>DynamicQuantizeLSTM</c>, which ONNX Runtime's CPU provider runs;</item>
/// <item><c>MatMul</c> by a constant (<c>Linear</c>) becomes <c>DynamicQuantizeLinear</c>, <c>MatMulInteger</c> and a
/// rescale, standard ONNX operators;</item>
/// <item><c>Gather</c> from a constant table (<c>Embedding</c>) becomes an int8 lookup and a rescale.</item>
/// </list>
/// A <see cref="GRU"/> or <see cref="RNN"/> node stays float32: ONNX Runtime (1.32) has no quantised GRU or RNN
/// kernel. Layers written as <c>Scan</c> (an LSTM with <c>proj_size</c>, float64 models) keep their float steps.
/// <see cref="QuantizationSummary.kept_float"/> lists what stayed float and why.
/// </remarks>
public static class quantization
{
    /// <summary>The operator types quantised by default: <c>LSTM</c>, <c>MatMul</c> and <c>Gather</c>.</summary>
    public static IReadOnlyList<string> default_op_types { get; } = ["LSTM", "MatMul", "Gather"];

    /// <summary>
    /// Writes an int8 copy of an exported float32 model: the weights of its LSTM, Linear and Embedding layers
    /// (<see cref="default_op_types"/>) as int8 with per-channel scales, the rest as it was. Inputs and outputs keep
    /// their names, shapes and dtypes, so the file is a drop-in replacement (for <see cref="OnnxStreamingSession"/> too).
    /// </summary>
    /// <param name="model_input">The float32 <c>.onnx</c> file (from <see cref="onnx"/>'s export or <see cref="OnnxGraph.save"/>).</param>
    /// <param name="model_output">Where to write the int8 model; may be <paramref name="model_input"/>.</param>
    /// <param name="per_channel">One scale per output channel (a row of an LSTM gate block, a column of a Linear's
    /// output, a row of an embedding); otherwise one scale per weight tensor (per direction for an LSTM).</param>
    /// <param name="reduce_range">Quantise weights to 7 bits (±64) instead of ±127: ONNX Runtime's advice for x86 CPUs
    /// without VNNI, whose uint8 x int8 product (<c>vpmaddubsw</c>) saturates 16-bit sums of two products.</param>
    /// <param name="op_types_to_quantize">Which of <c>LSTM</c>, <c>MatMul</c> and <c>Gather</c> to quantise;
    /// <see cref="default_op_types"/> when null.</param>
    /// <returns>What was quantised, what stayed float and why, and the weight bytes before and after.</returns>
    /// <exception cref="ArgumentException">An empty path, or an operator type other than the three.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="model_input"/> does not exist.</exception>
    /// <exception cref="InvalidProtocolBufferException"><paramref name="model_input"/> is not an ONNX model.</exception>
    /// <example>
    /// <code>
    /// onnx.export(lstm, torch.randn(5, 1, 8), "lstm.onnx");
    /// var summary = quantization.quantize_dynamic("lstm.onnx", "lstm.int8.onnx");
    /// // summary.quantized: ["LSTM LSTM_0 -> DynamicQuantizeLSTM"]; run lstm.int8.onnx in ONNX Runtime as lstm.onnx
    /// </code>
    /// </example>
    public static QuantizationSummary quantize_dynamic(string model_input, string model_output, bool per_channel = true,
        bool reduce_range = false, IEnumerable<string>? op_types_to_quantize = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(model_input);
        ArgumentException.ThrowIfNullOrEmpty(model_output);
        var ops = (op_types_to_quantize ?? default_op_types).ToList();
        var unknown = ops.Where(o => !default_op_types.Contains(o, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"Cannot quantise {string.Join(", ", unknown)}: the operator types quantised are {string.Join(", ", default_op_types)}.",
                nameof(op_types_to_quantize));
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(model_input));
        var summary = new DynamicQuantizer(model, per_channel, reduce_range, ops).Run();
        File.WriteAllBytes(model_output, model.ToByteArray());
        return summary;
    }
}

/// <summary>What <see cref="quantization.quantize_dynamic"/> did to a model.</summary>
/// <example>
/// <code>
/// var summary = quantization.quantize_dynamic("lm.onnx", "lm.int8.onnx");
/// Console.WriteLine($"{summary.float_weight_bytes} -> {summary.int8_weight_bytes} bytes");
/// foreach (var node in summary.kept_float) Console.WriteLine(node); // "GRU GRU_0: ONNX Runtime has no int8 kernel ..."
/// </code>
/// </example>
public sealed class QuantizationSummary
{
    internal QuantizationSummary(IReadOnlyList<string> quantized, IReadOnlyList<string> keptFloat, long floatBytes, long int8Bytes)
    {
        this.quantized = quantized;
        kept_float = keptFloat;
        float_weight_bytes = floatBytes;
        int8_weight_bytes = int8Bytes;
    }

    /// <summary>Each rewritten node: <c>"LSTM LSTM_0 -> DynamicQuantizeLSTM"</c>, <c>"MatMul MatMul_0 -> MatMulInteger"</c>,
    /// <c>"Gather Gather_0 -> int8 Gather"</c>.</summary>
    public IReadOnlyList<string> quantized { get; }

    /// <summary>Each recurrent node left float32, with the reason (a GRU or RNN, a Scan).</summary>
    public IReadOnlyList<string> kept_float { get; }

    /// <summary>The bytes of the float32 weights that were quantised.</summary>
    public long float_weight_bytes { get; }

    /// <summary>The bytes of their int8 replacements (scales not counted: one float per channel).</summary>
    public long int8_weight_bytes { get; }
}

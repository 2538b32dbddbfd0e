using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using NUnit.Framework;
using TorchRnn.Onnx.Protobuf;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests;

/// <summary>
/// quantization.quantize_dynamic: the int8 model runs in ONNX Runtime and lies within the bound that the quantisation
/// steps allow (Support/QuantisationBound.cs derives it) of the float model; the per-channel scales are max|row| / 127.
/// The numeric checks quantise with reduce_range (7-bit weights): a CPU without VNNI may saturate ONNX Runtime's
/// full-range uint8 x int8 sums, which no bound from the quantisation step covers, and these tests run on every CPU.
/// </summary>
[TestFixture]
public class QuantizationTests
{
    private const double ReducedQMax = 64;

    [Test]
    public void QuantizeDynamic_Lstm_PerChannelScalesAreRowMaximumOver127()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var lstm = nn.LSTM(6, 8, bidirectional: true);
        var model = Quantized(lstm, torch.randn(5, 2, 6), out var summary);
        Assert.That(summary.quantized, Has.Count.EqualTo(1).And.All.Match("^LSTM .* -> DynamicQuantizeLSTM$"));
        var node = model.Graph.Node.Single(n => n.OpType == "DynamicQuantizeLSTM");
        Assert.That(node.Domain, Is.EqualTo("com.microsoft"));
        Assert.That(model.OpsetImport.Any(o => o.Domain == "com.microsoft" && o.Version == 1), Is.True);
        Assert.That(model.Graph.Node.Any(n => n.OpType == "LSTM"), Is.False);

        foreach (var (kind, input) in new[] { ("weight_ih", 1), ("weight_hh", 2) })
        {
            var values = Initializer(model, node.Input[input]);
            var scales = Initializer(model, node.Input[input == 1 ? 8 : 10]);
            var zeros = Initializer(model, node.Input[input == 1 ? 9 : 11]);
            Assert.That(values.DataType, Is.EqualTo((int)TensorProto.Types.DataType.Int8), kind);
            Assert.That(scales.Dims, Is.EqualTo(new long[] { 2, 32 }), kind);
            Assert.That(Int8s(zeros), Is.All.EqualTo(0), kind);
            for (var d = 0; d < 2; d++)
            {
                // PyTorch's gate blocks i, f, g, o in ONNX's order i, o, f, c; DynamicQuantizeLSTM stores W as (D, K, 4H).
                var w = lstm.get_parameter($"{kind}_l0{(d == 1 ? "_reverse" : "")}")!.detach().to(ScalarType.Float64);
                var blocks = w.chunk(4, 0);
                var onnxOrder = torch.cat([blocks[0], blocks[3], blocks[1], blocks[2]]);
                var expected = onnxOrder.abs().amax([1]) / 127;
                var actual = torch.tensor(Floats(scales)).view(2, 32)[d].to(ScalarType.Float64);
                Assert.That(torch.allclose(actual, expected, rtol: 1e-6, atol: 0), Is.True, $"{kind}, direction {d}: scales");
                var k = values.Dims[1];
                var q = torch.tensor(Int8s(values).Select(v => (double)v).ToArray()).view(2, k, 32)[d].t();
                var error = (q * actual.unsqueeze(1) - onnxOrder).abs() - actual.unsqueeze(1) / 2;
                Assert.That(error.max().item<double>(), Is.LessThanOrEqualTo(1e-6), $"{kind}, direction {d}: |q * scale - w| <= scale / 2");
                Assert.That(q.abs().amax([1]).eq(127).all().item<bool>(), Is.True, $"{kind}, direction {d}: each row reaches ±127");
            }
        }
    }

    [Test]
    public void QuantizeDynamic_LstmSequence_WithinQuantisationBoundOfFloat()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        var lstm = nn.LSTM(10, 24);
        var x = torch.randn(12, 3, 10);
        var h0 = torch.randn(1, 3, 24) * 0.5;
        var c0 = torch.randn(1, 3, 24);
        using var runtime = new Runtime(Bytes(lstm, torch.randn(4, 2, 10), reduceRange: true));
        var actual = runtime.Run(("input", x), ("h0", h0), ("c0", c0));
        var (output, _) = lstm.call(x, (h0, c0));

        var p = (string name) => lstm.get_parameter(name)!.detach().to(ScalarType.Float64);
        var bound = QuantisationBound.Lstm(p("weight_ih_l0"), p("weight_hh_l0"), p("bias_ih_l0") + p("bias_hh_l0"),
            x.to(ScalarType.Float64), h0[0].to(ScalarType.Float64), c0[0].to(ScalarType.Float64), ReducedQMax);
        var error = (actual["output"].to(ScalarType.Float64) - output.detach().to(ScalarType.Float64)).abs();
        var excess = (error - bound - 1e-5).max().item<double>(); // 1e-5: float32 arithmetic on either side
        Assert.That(excess, Is.LessThanOrEqualTo(0), "the int8 LSTM lies outside the quantisation bound");
        // The bound says something: the int8 model is close, not merely bounded.
        Assert.That(error.max().item<double>(), Is.GreaterThan(0).And.LessThan(0.05));
        Assert.That(bound[0].max().item<double>(), Is.LessThan(0.2));
    }

    [Test]
    public void QuantizeDynamic_Linear_WithinQuantisationBoundOfFloat([Values] bool perChannel)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var linear = torch.nn.Linear(40, 30);
        var x = torch.randn(7, 40);
        var model = Quantized(linear, torch.randn(2, 40), out var summary, reduceRange: true, perChannel: perChannel);
        Assert.That(summary.quantized, Has.Count.EqualTo(1).And.Some.StartsWith("MatMul"));
        Assert.That(model.Graph.Node.Select(n => n.OpType), Has.Member("MatMulInteger").And.No.Member("MatMul"));
        long[] scaleShape = perChannel ? [30] : [];
        var scales = Floats(model.Graph.Initializer.Single(i => i.DataType == (int)TensorProto.Types.DataType.Float && i.Dims.SequenceEqual(scaleShape) && i.Name.Contains("weight")));
        var expected = perChannel ? linear.weight.detach().abs().amax([1]) / ReducedQMax : (linear.weight.detach().abs().max() / ReducedQMax).unsqueeze(0);
        Assert.That(torch.allclose(torch.tensor(scales), expected, rtol: 1e-6, atol: 0), Is.True, perChannel ? "one scale per output column" : "one scale");

        using var runtime = new Runtime(model.ToByteArray());
        var actual = runtime.Run(("input", x))["output"].to(ScalarType.Float64);
        var reference = linear.call(x).detach().to(ScalarType.Float64);
        var bound = QuantisationBound.Product(x.to(ScalarType.Float64), linear.weight.detach().to(ScalarType.Float64), ReducedQMax, perChannel);
        Assert.That(((actual - reference).abs() - bound - 1e-5).max().item<double>(), Is.LessThanOrEqualTo(0));
        Assert.That((actual - reference).abs().max().item<double>(), Is.GreaterThan(0));
    }

    [Test]
    public void QuantizeDynamic_Embedding_RowsWithinHalfTheirScale()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        var embedding = torch.nn.Embedding(50, 12);
        var tokens = torch.randint(0, 50, [6, 4], dtype: ScalarType.Int64);
        var model = Quantized(embedding, tokens, out var summary);
        Assert.That(summary.quantized, Has.Count.EqualTo(1).And.All.Match("^Gather .* -> int8 Gather$"));
        using var runtime = new Runtime(model.ToByteArray());
        var actual = runtime.Run(("input", tokens))["output"].to(ScalarType.Float64);
        var rows = embedding.call(tokens).detach().to(ScalarType.Float64);
        var halfStep = (rows.abs().amax([-1], keepdim: true) / 127 / 2).expand_as(rows);
        Assert.That(((actual - rows).abs() - halfStep - 1e-7).max().item<double>(), Is.LessThanOrEqualTo(0));
        Assert.That(summary.int8_weight_bytes * 4, Is.EqualTo(summary.float_weight_bytes));
    }

    [Test]
    public void QuantizeDynamic_Gru_KeepsFloatAndSaysWhy()
    {
        using var scope = torch.NewDisposeScope();
        var gru = nn.GRU(5, 7, num_layers: 2);
        var x = torch.randn(4, 2, 5);
        var model = Quantized(gru, x, out var summary);
        Assert.That(summary.quantized, Is.Empty);
        Assert.That(summary.kept_float, Has.Count.EqualTo(2).And.All.StartsWith("GRU ").And.All.Contains("no int8 kernel"));
        using var runtime = new Runtime(model.ToByteArray());
        var (output, _) = gru.call(x);
        Close.Assert(runtime.Run(("input", x))["output"], output.detach(), "output");
    }

    [Test]
    public void QuantizeDynamic_WordModel_SameInterfaceAndAQuarterOfTheWeights()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var embedding = torch.nn.Embedding(300, 16);
        var lstm = nn.LSTM(16, 32, num_layers: 2);
        var decoder = torch.nn.Linear(32, 300);
        embedding.eval();
        lstm.eval();
        decoder.eval();
        using var graph = new OnnxGraph();
        var tokens = graph.input("tokens", torch.randint(0, 300, [5, 1], dtype: ScalarType.Int64), "sequence", "batch");
        var h0 = graph.optional_input("h0", torch.zeros(2, 1, 32), null, "batch", null);
        var c0 = graph.optional_input("c0", torch.zeros(2, 1, 32), null, "batch", null);
        var (output, (h, c)) = lstm.call(embedding.call(tokens), (h0, c0));
        graph.output("logits", decoder.call(output));
        graph.output("h_n", h);
        graph.output("c_n", c);
        var floatPath = TempPath();
        var int8Path = TempPath();
        try
        {
            graph.save(floatPath);
            var summary = quantization.quantize_dynamic(floatPath, int8Path);
            Assert.That(summary.quantized.Select(q => q.Split(' ')[0]), Is.EquivalentTo(new[] { "Gather", "LSTM", "LSTM", "MatMul" }));
            Assert.That(summary.kept_float, Is.Empty);
            Assert.That(summary.int8_weight_bytes * 4, Is.EqualTo(summary.float_weight_bytes));
            Assert.That(new FileInfo(int8Path).Length, Is.LessThan(new FileInfo(floatPath).Length * 0.4)); // biases and scales stay float
            using var floatRuntime = new Runtime(floatPath);
            using var int8Runtime = new Runtime(int8Path);
            Assert.That(int8Runtime.InputNames, Is.EqualTo(floatRuntime.InputNames));
            Assert.That(int8Runtime.OptionalInputNames, Is.EquivalentTo(floatRuntime.OptionalInputNames));
            Assert.That(int8Runtime.OutputNames, Is.EqualTo(floatRuntime.OutputNames));
            var input = torch.randint(0, 300, [9, 3], dtype: ScalarType.Int64);
            var expected = floatRuntime.Run(("tokens", input));
            var actual = int8Runtime.Run(("tokens", input));
            foreach (var name in expected.Keys)
            {
                Assert.That(actual[name].shape, Is.EqualTo(expected[name].shape), name);
                Assert.That(actual[name].isfinite().all().item<bool>(), Is.True, name);
            }
        }
        finally
        {
            File.Delete(floatPath);
            File.Delete(int8Path);
        }
    }

    [Test]
    public void QuantizeDynamic_UnknownOpType_ThrowsNamingTheSupportedOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => quantization.quantize_dynamic("a.onnx", "b.onnx", op_types_to_quantize: ["Conv"]));
        Assert.That(e!.Message, Does.StartWith("Cannot quantise Conv: the operator types quantised are LSTM, MatMul, Gather."));
    }

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"torchrnn-int8-{Guid.NewGuid():N}.onnx");

    private static byte[] Bytes(torch.nn.Module module, Tensor example, bool reduceRange = false)
        => Quantized(module, example, out _, reduceRange).ToByteArray();

    private static ModelProto Quantized(torch.nn.Module module, Tensor example, out QuantizationSummary summary, bool reduceRange = false,
        bool perChannel = true)
    {
        var floatPath = TempPath();
        var int8Path = TempPath();
        try
        {
            onnx.export(module, example, floatPath);
            summary = quantization.quantize_dynamic(floatPath, int8Path, per_channel: perChannel, reduce_range: reduceRange);
            return ModelProto.Parser.ParseFrom(File.ReadAllBytes(int8Path));
        }
        finally
        {
            File.Delete(floatPath);
            File.Delete(int8Path);
        }
    }

    private static TensorProto Initializer(ModelProto model, string name) => model.Graph.Initializer.Single(i => i.Name == name);

    private static float[] Floats(TensorProto t) => MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();

    private static sbyte[] Int8s(TensorProto t) => MemoryMarshal.Cast<byte, sbyte>(t.RawData.Span).ToArray();
}

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TorchRnn.Onnx.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Tests;

/// <summary>
/// Each of <see cref="OnnxTensor"/>'s operations that PyTorch's RNN tutorials use, exported on its own and run in ONNX
/// Runtime on inputs of other sizes than the example (every axis dynamic) against TorchSharp's own operation.
/// </summary>
[TestFixture]
public class OperationExportTests
{
    /// <summary>One operation: its inputs' shapes (example, then a run at other sizes), and the same code on both types.</summary>
    public sealed record Case(string Name, Func<long[][], Tensor[]> Inputs, Func<OnnxTensor[], OnnxTensor> OnGraph, Func<Tensor[], Tensor> OnTensors)
    {
        public override string ToString() => Name;
    }

    private static Tensor[] Floats(long[][] shapes) => shapes.Select(s => torch.randn(s, dtype: ScalarType.Float64).to(ScalarType.Float32)).ToArray();

    // Distinct values (a permutation), so that argmax and topk have no ties to order differently.
    private static Tensor[] Distinct(long[][] shapes)
        => shapes.Select(s => torch.randperm(s.Aggregate(1L, (a, b) => a * b)).reshape(s).to(ScalarType.Float32) / 7f).ToArray();

    // Small integers, so that comparisons meet equal values too.
    private static Tensor[] Rounded(long[][] shapes) => shapes.Select(s => torch.randint(-2, 3, s).to(ScalarType.Float32)).ToArray();

    private static Tensor[] WithMask(long[][] shapes) => [torch.randn(shapes[0]), torch.rand(shapes[1]).gt(0.5)];

    public static IEnumerable<Case> Cases()
    {
        yield return new("matmul", Floats, x => x[0].matmul(x[1]), x => x[0].matmul(x[1]));
        yield return new("bmm", Floats, x => x[0].bmm(x[1]), x => x[0].bmm(x[1]));
        yield return new("sum(dim)", Floats, x => x[0].sum(1), x => x[0].sum(1));
        yield return new("sum(dims, keepdim)", Floats, x => x[0].sum([0, -1], keepdim: true), x => x[0].sum([0, -1], keepdim: true));
        yield return new("mean(dim)", Floats, x => x[0].mean(-1), x => x[0].mean([-1L]));
        yield return new("mean(dims, keepdim)", Floats, x => x[0].mean([1, 2], keepdim: true), x => x[0].mean([1L, 2L], keepdim: true));
        yield return new("permute", Floats, x => x[0].permute(1, 0, 2), x => x[0].permute(1, 0, 2));
        yield return new("permute(negative)", Floats, x => x[0].permute(-1, 0, 1), x => x[0].permute(-1, 0, 1));
        yield return new("argmax", Distinct, x => x[0].argmax(-1), x => x[0].argmax(-1));
        yield return new("argmax(keepdim)", Distinct, x => x[0].argmax(1, keepdim: true), x => x[0].argmax(1, keepdim: true));
        yield return new("topk values", Distinct, x => x[0].topk(2).values, x => x[0].topk(2).values);
        yield return new("topk indices", Distinct, x => x[0].topk(2).indexes, x => x[0].topk(2).indexes);
        yield return new("topk(1) as the tutorial's greedy step", Distinct, x => x[0].topk(1).indexes.squeeze(-1), x => x[0].topk(1).indexes.squeeze(-1));
        yield return new("topk smallest, dim 1", Distinct, x => x[0].topk(2, dim: 1, largest: false).values,
            x => x[0].topk(2, dim: 1, largest: false).values);
        yield return new("masked_fill", WithMask, x => x[0].masked_fill(x[1], -1e9), x => x[0].masked_fill(x[1], -1e9));
        yield return new("masked_fill(-inf) then softmax", WithMask, x => x[0].masked_fill(x[1], double.NegativeInfinity).softmax(0),
            x => x[0].masked_fill(x[1], double.NegativeInfinity).softmax(0));
        yield return new("full_like", Floats, x => OnnxTensor.full_like(x[0][.., ..1, 0], 3, ScalarType.Int64),
            x => torch.full_like(x[0][.., ..1, 0], 3, dtype: ScalarType.Int64));
        yield return new("exp", Floats, x => x[0].exp(), x => x[0].exp());
        yield return new("log(exp)", Floats, x => x[0].exp().log(), x => x[0].exp().log());
        yield return new("-", Floats, x => x[0] - x[1], x => x[0] - x[1]);
        yield return new("/", Floats, x => x[0] / x[1].exp(), x => x[0] / x[1].exp());
        yield return new("eq", Rounded, x => x[0].eq(x[1]), x => x[0].eq(x[1]));
        yield return new("ne", Rounded, x => x[0].ne(x[1]), x => x[0].ne(x[1]));
        yield return new("lt", Rounded, x => x[0].lt(x[1]), x => x[0].lt(x[1]));
        yield return new("le", Rounded, x => x[0].le(x[1]), x => x[0].le(x[1]));
        yield return new("gt", Rounded, x => x[0].gt(x[1]), x => x[0].gt(x[1]));
        yield return new("ge", Rounded, x => x[0].ge(x[1]), x => x[0].ge(x[1]));
        yield return new("eq(number)", Rounded, x => x[0].eq(1), x => x[0].eq(1));
        yield return new("ne(number)", Rounded, x => x[0].ne(1), x => x[0].ne(1));
        yield return new("lt(number)", Rounded, x => x[0].lt(0.5), x => x[0].lt(0.5));
        yield return new("le(number)", Rounded, x => x[0].le(1), x => x[0].le(1));
        yield return new("gt(number)", Rounded, x => x[0].gt(-1), x => x[0].gt(-1));
        yield return new("ge(number)", Rounded, x => x[0].ge(0), x => x[0].ge(0));
    }

    // Example shapes and the shapes of two runs, per operation; each input's every axis is dynamic.
    private static long[][][] Shapes(string name) => name switch
    {
        "matmul" => [[[2, 3, 4], [4, 5]], [[1, 7, 4], [4, 2]], [[3, 1, 4], [4, 6]]],
        "bmm" => [[[2, 1, 4], [2, 4, 3]], [[5, 1, 6], [5, 6, 9]], [[1, 3, 2], [1, 2, 1]]],
        "masked_fill" or "masked_fill(-inf) then softmax" => [[[4, 3], [4, 1]], [[6, 2], [6, 1]], [[5, 5], [5, 1]]],
        "-" or "/" or "eq" or "ne" or "lt" or "le" or "gt" or "ge" => [[[3, 4], [3, 4]], [[2, 6], [1, 6]], [[5, 1], [5, 3]]],
        _ => [[[3, 4, 5]], [[2, 6, 3]], [[1, 2, 7]]],
    };

    [TestCaseSource(nameof(Cases))]
    public void Operation_InOnnxRuntime_MatchesTorchSharp(Case c)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var shapes = Shapes(c.Name);
        using var graph = new OnnxGraph();
        var examples = c.Inputs(shapes[0]);
        var inputs = examples.Select((e, i) => graph.input($"x{i}", e, e.shape.Select((_, d) => (string?)$"x{i}_dim{d}").ToArray())).ToArray();
        var result = c.OnGraph(inputs);
        Assert.That(result.example.shape, Is.EqualTo(c.OnTensors(examples).shape), "the example value is TorchSharp's");
        graph.output("y", result);
        using var exported = Exported.Of(graph);
        foreach (var run in shapes.Skip(1))
        {
            var xs = c.Inputs(run);
            var expected = c.OnTensors(xs);
            var actual = exported.Runtime.Run(xs.Select((x, i) => ($"x{i}", x)).ToArray())["y"];
            Close.Assert(actual, expected, $"{c.Name} at [{string.Join("; ", run.Select(s => string.Join(", ", s)))}]");
        }
    }
}

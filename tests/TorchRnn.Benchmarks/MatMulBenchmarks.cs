using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Benchmarks;

/// <summary>
/// The machine's plain matrix-product rate through the same LibTorch, for reading the recurrent kernels' GFLOP/s:
/// <c>torch.mm</c> on float32 operands of the shapes in <see cref="Flops.MatMulShapes"/>.
/// </summary>
[MemoryDiagnoser]
public class MatMulBenchmarks
{
    private Tensor? _a;
    private Tensor? _b;

    [ParamsSource(nameof(ShapeNames))]
    public string Shape { get; set; } = "";

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static IEnumerable<string> ShapeNames => Flops.MatMulShapes.Select(s => s.Name);

    public static IEnumerable<int> ThreadCounts => Selection.Threads;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        var (_, m, k, n, _) = Flops.MatMulShapes.First(s => s.Name == Shape);
        torch.manual_seed(0);
        _a = torch.randn(m, k);
        _b = torch.randn(k, n);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a?.Dispose();
        _b?.Dispose();
    }

    [Benchmark]
    public void MatMul()
    {
        using var scope = torch.NewDisposeScope();
        torch.mm(_a!, _b!);
    }
}

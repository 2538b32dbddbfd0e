using System;
using System.Collections.Generic;
using System.Linq;

namespace TorchRnn.Benchmarks;

/// <summary>A benchmark shape: sequence length L, batch N, input features H_in, hidden features H, stacked layers.</summary>
public sealed record BenchSize(string Name, long L, long N, long InputSize, long HiddenSize, long Layers)
{
    /// <summary>The sizes of issue 7, smallest first.</summary>
    public static readonly IReadOnlyList<BenchSize> All =
    [
        new("tutorial", 1, 3, 5, 6, 2),
        new("medium", 50, 32, 64, 128, 2),
        new("large", 200, 64, 256, 512, 2),
    ];

    /// <summary>LSTM-proj's projection size: half the cell size (3 for the tutorial's H = 6, as in the README's example).</summary>
    public long ProjSize => HiddenSize / 2;

    public static BenchSize Get(string name) =>
        All.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"Unknown size '{name}'; expected one of {string.Join(", ", All.Select(s => s.Name))}.");
}

/// <summary>
/// The modules benchmarked. <c>LSTM-proj</c> is TorchRnn's LSTM with <c>proj_size = H / 2</c> (the managed recurrence)
/// against TorchSharp's LSTM with the same cell size and no projection (the closest native kernel).
/// </summary>
public static class Modules
{
    public const string Rnn = "RNN";
    public const string Lstm = "LSTM";
    public const string Gru = "GRU";
    public const string LstmProj = "LSTM-proj";

    public static readonly IReadOnlyList<string> All = [Rnn, Lstm, Gru, LstmProj];

    /// <summary>Gates per cell: the row blocks of <c>weight_ih</c> and <c>weight_hh</c>.</summary>
    public static long Gates(string module) => module switch
    {
        Rnn => 1,
        Gru => 3,
        Lstm or LstmProj => 4,
        _ => throw new ArgumentException($"Unknown module '{module}'."),
    };
}

/// <summary>What the command line selected; the benchmarks' parameter sources read it (BenchmarkDotNet runs in this process).</summary>
public static class Selection
{
    public static IReadOnlyList<string> Sizes { get; set; } = BenchSize.All.Select(s => s.Name).ToArray();

    public static IReadOnlyList<string> ModuleNames { get; set; } = Modules.All;

    /// <summary>One thread and all of them (<see cref="Environment.ProcessorCount"/>), each once.</summary>
    public static IReadOnlyList<int> Threads { get; set; } = DefaultThreads();

    public static int[] DefaultThreads() => new[] { 1, Environment.ProcessorCount }.Distinct().ToArray();

    /// <summary>Parses <c>1,all</c> or <c>1,2,4</c>.</summary>
    public static int[] ParseThreads(string value) =>
        Split(value).Select(t => t == "all" ? Environment.ProcessorCount : int.Parse(t, System.Globalization.CultureInfo.InvariantCulture))
            .Distinct().ToArray();

    public static string[] ParseSizes(string value)
    {
        var sizes = Split(value);
        foreach (var s in sizes) BenchSize.Get(s);
        return sizes;
    }

    public static string[] ParseModules(string value)
    {
        var modules = Split(value).Select(m => Modules.All.FirstOrDefault(a => string.Equals(a, m, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown module '{m}'; expected one of {string.Join(", ", Modules.All)}.")).ToArray();
        return modules;
    }

    private static string[] Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Floating-point operations of the recurrent kernels, counting 2·m·n·k for each matrix product (a multiply and an
/// add per term) and nothing else: gate nonlinearities, biases and the elementwise state update are left out.
/// </summary>
public static class Flops
{
    /// <summary>
    /// One forward pass: for every layer and step, the input product (N × I_l)·(I_l × G·H) and the recurrent product
    /// (N × H_out)·(H_out × G·H), and with projections (N × H)·(H × P); I_0 = H_in, I_l = H_out above.
    /// </summary>
    public static double Forward(string module, BenchSize s)
    {
        var gates = Modules.Gates(module);
        var hOut = module == Modules.LstmProj ? s.ProjSize : s.HiddenSize;
        double total = 0;
        for (var layer = 0; layer < s.Layers; layer++)
        {
            var layerInput = layer == 0 ? s.InputSize : hOut;
            double perStep = 2.0 * s.N * layerInput * gates * s.HiddenSize + 2.0 * s.N * hOut * gates * s.HiddenSize;
            if (module == Modules.LstmProj) perStep += 2.0 * s.N * s.HiddenSize * hOut;
            total += perStep * s.L;
        }
        return total;
    }

    /// <summary>
    /// Forward and backward: each product's backward is two products of its size (the gradient of the weight and of the
    /// input), except that the first layer's input needs no gradient; so 3 × forward minus one layer-0 input product.
    /// </summary>
    public static double ForwardBackward(string module, BenchSize s) =>
        3 * Forward(module, s) - 2.0 * s.L * s.N * s.InputSize * Modules.Gates(module) * s.HiddenSize;

    /// <summary>The matrix products measured for reference: (m × k)·(k × n), named m x k x n.</summary>
    public static readonly IReadOnlyList<(string Name, long M, long K, long N, string What)> MatMulShapes =
    [
        ("64x512x2048", 64, 512, 2048, "the large LSTM's recurrent product, one step"),
        ("2048x2048x2048", 2048, 2048, 2048, "a large square product"),
    ];

    public static double MatMul(long m, long k, long n) => 2.0 * m * k * n;
}

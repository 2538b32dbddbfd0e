using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using TorchSharp;
using static TorchSharp.torch;
using TorchModules = TorchSharp.Modules;

namespace TorchRnn.Benchmarks;

/// <summary>
/// TorchRnn against raw TorchSharp on one module kind: forward under <c>no_grad</c>, and forward + backward of the
/// output's sum with the gradients zeroed first. Both sides get the same input tensor and, where the shapes allow,
/// the same weights (copied by parameter name); each call runs in its own dispose scope.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public abstract class SequenceBenchmarks
{
    public const string ForwardCategory = "forward";
    public const string ForwardBackwardCategory = "forward+backward";

    private torch.nn.Module? _torchSharp;
    private torch.nn.Module? _torchRnn;
    private Tensor? _x;

    /// <summary>The module's name in the report (see <see cref="Modules"/>).</summary>
    public abstract string Module { get; }

    [ParamsSource(nameof(SizeNames))]
    public string Size { get; set; } = "";

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static IEnumerable<string> SizeNames => Selection.Sizes;

    public static IEnumerable<int> ThreadCounts => Selection.Threads;

    /// <summary>Builds both modules for <paramref name="s"/>, TorchRnn's first (after <c>torch.manual_seed(0)</c>).</summary>
    protected abstract (torch.nn.Module torchRnn, torch.nn.Module torchSharp) Create(BenchSize s);

    protected abstract Tensor TorchRnnOutput(torch.nn.Module module, Tensor x);

    protected abstract Tensor TorchSharpOutput(torch.nn.Module module, Tensor x);

    /// <summary>Whether both sides compute the same function, so their outputs must be equal.</summary>
    protected virtual bool SameFunction => true;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        var s = BenchSize.Get(Size);
        torch.manual_seed(0);
        var (torchRnn, torchSharp) = Create(s);
        using (torch.no_grad())
        {
            foreach (var (name, p) in torchSharp.named_parameters())
            {
                var source = torchRnn.get_parameter(name);
                if (source is not null && source.shape.AsSpan().SequenceEqual(p.shape)) p.copy_(source);
            }
        }
        _torchRnn = torchRnn;
        _torchSharp = torchSharp;
        _x = torch.randn(s.L, s.N, s.InputSize);
        if (SameFunction) CheckSameOutput();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _torchRnn?.Dispose();
        _torchSharp?.Dispose();
        _x?.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(ForwardCategory)]
    public void Forward_TorchSharp()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        TorchSharpOutput(_torchSharp!, _x!);
    }

    [Benchmark]
    [BenchmarkCategory(ForwardCategory)]
    public void Forward_TorchRnn()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        TorchRnnOutput(_torchRnn!, _x!);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(ForwardBackwardCategory)]
    public void ForwardBackward_TorchSharp()
    {
        using var scope = torch.NewDisposeScope();
        _torchSharp!.zero_grad();
        TorchSharpOutput(_torchSharp, _x!).sum().backward();
    }

    [Benchmark]
    [BenchmarkCategory(ForwardBackwardCategory)]
    public void ForwardBackward_TorchRnn()
    {
        using var scope = torch.NewDisposeScope();
        _torchRnn!.zero_grad();
        TorchRnnOutput(_torchRnn, _x!).sum().backward();
    }

    private void CheckSameOutput()
    {
        // With autograd on: under no_grad TorchSharp's own float32 LSTM runs oneDNN's inference kernel, which is wrong on
        // some CPUs (AMD Zen 5, README "Right on every CPU") where TorchRnn's result is right; its training kernel is not.
        using var scope = torch.NewDisposeScope();
        var a = TorchRnnOutput(_torchRnn!, _x!).detach();
        var b = TorchSharpOutput(_torchSharp!, _x!).detach();
        // Equal to rounding, not bit for bit: TorchRnn may take another engine than TorchSharp's kernel (a one-step
        // LSTM runs on the native cells rather than oneDNN).
        if (!a.allclose(b, 1e-5, 1e-6))
            throw new InvalidOperationException($"{Module} {Size}: TorchRnn and TorchSharp outputs differ; the weights were not copied.");
    }
}

public class RnnBenchmarks : SequenceBenchmarks
{
    public override string Module => Modules.Rnn;

    protected override (torch.nn.Module, torch.nn.Module) Create(BenchSize s) =>
        (nn.RNN(s.InputSize, s.HiddenSize, s.Layers), torch.nn.RNN(s.InputSize, s.HiddenSize, s.Layers));

    protected override Tensor TorchRnnOutput(torch.nn.Module module, Tensor x) => ((RNN)module).call(x).output;

    protected override Tensor TorchSharpOutput(torch.nn.Module module, Tensor x) => ((TorchModules.RNN)module).call(x).Item1;
}

public class LstmBenchmarks : SequenceBenchmarks
{
    public override string Module => Modules.Lstm;

    protected override (torch.nn.Module, torch.nn.Module) Create(BenchSize s) =>
        (nn.LSTM(s.InputSize, s.HiddenSize, s.Layers), torch.nn.LSTM(s.InputSize, s.HiddenSize, s.Layers));

    protected override Tensor TorchRnnOutput(torch.nn.Module module, Tensor x) => ((LSTM)module).call(x).output;

    protected override Tensor TorchSharpOutput(torch.nn.Module module, Tensor x) => ((TorchModules.LSTM)module).call(x).Item1;
}

public class GruBenchmarks : SequenceBenchmarks
{
    public override string Module => Modules.Gru;

    protected override (torch.nn.Module, torch.nn.Module) Create(BenchSize s) =>
        (nn.GRU(s.InputSize, s.HiddenSize, s.Layers), torch.nn.GRU(s.InputSize, s.HiddenSize, s.Layers));

    protected override Tensor TorchRnnOutput(torch.nn.Module module, Tensor x) => ((GRU)module).call(x).output;

    protected override Tensor TorchSharpOutput(torch.nn.Module module, Tensor x) => ((TorchModules.GRU)module).call(x).Item1;
}

/// <summary>
/// TorchRnn's LSTM with <c>proj_size = H / 2</c>, which runs the managed recurrence, against TorchSharp's LSTM with the
/// same cell size H and no projection: the nearest thing LibTorch computes natively. The native side does more
/// arithmetic (its recurrent product is H wide, not H / 2, and it has no projection: 4H² against 5H²/2 per row), so
/// the ratio bounds the managed recurrence's overhead from below; the weights they share in shape are copied.
/// </summary>
public class LstmProjBenchmarks : LstmBenchmarks
{
    public override string Module => Modules.LstmProj;

    protected override bool SameFunction => false;

    protected override (torch.nn.Module, torch.nn.Module) Create(BenchSize s) =>
        (nn.LSTM(s.InputSize, s.HiddenSize, s.Layers, proj_size: s.ProjSize), torch.nn.LSTM(s.InputSize, s.HiddenSize, s.Layers));
}

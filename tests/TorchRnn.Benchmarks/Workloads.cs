using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Benchmarks;

/// <summary>
/// The paths real programs take, timed against PyTorch by <see cref="VersusPyTorch"/>: one generation step with the
/// state carried, packed batches of variable-length sequences, LSTM with projections, the tutorial's size, and dense
/// medium sequences. <c>pytorch_bench.py</c> defines the same workloads under the same names; both draw their weights
/// and inputs after <c>manual_seed(0)</c>, so both compute the same numbers.
/// </summary>
public sealed record Workload(string Name, string What, Func<IWorkloadRun> Create)
{
    /// <summary>pytorch_bench.py's workloads: the default of <c>--versus-pytorch</c>; the others need their own <c>--script</c>.</summary>
    public static readonly IReadOnlyList<Workload> Builtin =
    [
        Step("lstm-step-256", "LSTM", 256, 1),
        Step("lstm-step-512x8", "LSTM", 512, 8),
        Step("gru-step-256", "GRU", 256, 1),
        Step("gru-step-512x8", "GRU", 512, 8),
        Packed("lstm-packed", "LSTM", train: false),
        Packed("gru-packed", "GRU", train: false),
        Packed("lstm-packed-train", "LSTM", train: true),
        Packed("gru-packed-train", "GRU", train: true),
        Dense("lstm-proj", "nn.LSTM(64, 128, proj_size=64) on (50, 32, 64), forward", "LSTM", 64, 128, 1, 50, 32, 64, train: false),
        Dense("lstm-proj-train", "the same, forward + backward", "LSTM", 64, 128, 1, 50, 32, 64, train: true),
        Dense("rnn-tutorial", "nn.RNN(5, 6, 2) on (1, 3, 5), forward", "RNN_TANH", 5, 6, 2, 1, 3, 0, train: false),
        Dense("lstm-tutorial", "nn.LSTM(5, 6, 2) on (1, 3, 5), forward", "LSTM", 5, 6, 2, 1, 3, 0, train: false),
        Dense("gru-tutorial", "nn.GRU(5, 6, 2) on (1, 3, 5), forward", "GRU", 5, 6, 2, 1, 3, 0, train: false),
        Dense("lstm-tutorial-train", "nn.LSTM(5, 6, 2) on (1, 3, 5), forward + backward", "LSTM", 5, 6, 2, 1, 3, 0, train: true),
        Dense("lstm-medium", "nn.LSTM(64, 128, 2) on (50, 32, 64), forward", "LSTM", 64, 128, 2, 50, 32, 0, train: false),
        Dense("gru-medium", "nn.GRU(64, 128, 2) on (50, 32, 64), forward", "GRU", 64, 128, 2, 50, 32, 0, train: false),
    ];

    /// <summary>Every workload: <see cref="Builtin"/>, then the LayerNormLSTM (custom_lstm_bench.py) and regularised LSTM (awd_bench.py) ones.</summary>
    public static readonly IReadOnlyList<Workload> All =
    [
        .. Builtin,
        LayerNorm("lnlstm-forward-small", 200, 200, 35, 10, train: false),
        LayerNorm("lnlstm-train-small", 200, 200, 35, 10, train: true),
        LayerNorm("lnlstm-forward-medium", 64, 128, 50, 32, train: false),
        LayerNorm("lnlstm-train-medium", 64, 128, 50, 32, train: true),
        Awd("awd-train", "one AWD-LSTM training batch (awd_bench.py's model: vocabulary 10000, emsize 100, 3 layers of 200, tied; its dropouts and WeightDrop 0.5), bptt 35, batch 20", dropouts: true),
        Awd("awd-train-nodrop", "the same without WeightDrop and with every dropout 0; AR and TAR computed", dropouts: false),
        Regularized("zoneout-train", "nn.RegularizedLSTM(200, 200, zoneout: 0.1) on (35, 20, 200), training forward + backward", 0, 0.1),
        Regularized("recdrop-train", "nn.RegularizedLSTM(200, 200, recurrent_dropout: 0.25) on (35, 20, 200), training forward + backward", 0.25, 0),
    ];

    public static Workload Get(string name) =>
        All.FirstOrDefault(w => w.Name == name) ?? throw new ArgumentException(
            $"Unknown workload '{name}'; expected one of {string.Join(", ", All.Select(w => w.Name))}.");

    /// <summary>One generation step: input (1, N, H), the state carried from call to call, no gradients.</summary>
    private static Workload Step(string name, string mode, long hidden, long batch) =>
        new(name, $"one step of nn.{mode}({hidden}, {hidden}, 2), input (1, {batch}, {hidden}), state carried", () =>
        {
            torch.manual_seed(0);
            var module = nn.RNNBase(mode, hidden, hidden, 2);
            var x = torch.randn(1, batch, hidden);
            return new StepRun(module, x);
        });

    /// <summary>32 sequences of 10 to 100 steps, packed unsorted, through a one-layer (64, 128) module.</summary>
    private static Workload Packed(string name, string mode, bool train) =>
        new(name, $"packed nn.{mode}(64, 128), 32 sequences of 10 to 100 steps, {(train ? "forward + backward" : "forward")}", () =>
        {
            torch.manual_seed(0);
            var module = nn.RNNBase(mode, 64, 128);
            var lengths = Enumerable.Range(0, 32).Select(i => 10 + i * 90 / 31).ToArray();
            var sequences = lengths.Select(length => torch.randn(length, 64)).ToArray();
            var packed = nn.utils.rnn.pack_sequence(sequences, enforce_sorted: false);
            foreach (var s in sequences) s.Dispose();
            return new PackedRun(module, packed, train);
        });

    /// <summary>
    /// nn.LayerNormLSTM(H_in, H, 2) on (L, N, H_in); its PyTorch side is custom_lstm_bench.py's scripted twin (the
    /// structure of PyTorch's benchmarks/fastrnns/custom_lstms.py), under the same names.
    /// </summary>
    private static Workload LayerNorm(string name, long inputSize, long hidden, long length, long batch, bool train) =>
        new(name, $"LayerNormLSTM({inputSize}, {hidden}, 2) on ({length}, {batch}, {inputSize}), {(train ? "forward + backward" : "forward")}", () =>
        {
            torch.manual_seed(0);
            var module = nn.LayerNormLSTM(inputSize, hidden, 2);
            var x = torch.randn(length, batch, inputSize);
            return new DenseRun(module, x, train);
        });

    /// <summary>awd_bench.py's AWD workloads: the sample's AWDModel and loss, one SGD step per call.</summary>
    private static Workload Awd(string name, string what, bool dropouts) =>
        new(name, what, () =>
        {
            torch.manual_seed(0);
            var model = dropouts
                ? new Samples.LanguageModel.AWDModel(10000, 100, 200, 3, dropout: 0.4, dropouth: 0.3, dropouti: 0.65, dropoute: 0.1, wdrop: 0.5, tieWeights: true)
                : new Samples.LanguageModel.AWDModel(10000, 100, 200, 3, dropout: 0, dropouth: 0, dropouti: 0, dropoute: 0, wdrop: 0, tieWeights: true);
            var tokens = torch.randint(0, 10000, [36, 20]);
            return new AwdRun(model, tokens);
        });

    /// <summary>nn.RegularizedLSTM(200, 200) on (35, 20, 200) in training, forward and backward of the output's sum.</summary>
    private static Workload Regularized(string name, string what, double recurrentDropout, double zoneout) =>
        new(name, what, () =>
        {
            torch.manual_seed(0);
            var module = nn.RegularizedLSTM(200, 200, recurrent_dropout: recurrentDropout, zoneout: zoneout);
            var x = torch.randn(35, 20, 200);
            return new DenseRun(module, x, train: true);
        });

    /// <summary>A dense sequence (L, N, H_in) through a module, with <paramref name="projSize"/> for LSTM.</summary>
    private static Workload Dense(string name, string what, string mode, long inputSize, long hidden, long layers, long length,
        long batch, long projSize, bool train) =>
        new(name, what, () =>
        {
            torch.manual_seed(0);
            var module = nn.RNNBase(mode, inputSize, hidden, layers, proj_size: projSize);
            var x = torch.randn(length, batch, inputSize);
            return new DenseRun(module, x, train);
        });
}

/// <summary>A workload set up and ready to time: <see cref="Call"/> is one call as a program makes it.</summary>
public interface IWorkloadRun : IDisposable
{
    void Call();
}

/// <summary>
/// One generation step as an application writes it (pytorch_bench.py's <c>StepRun</c>): under no_grad,
/// <c>(_, state) = m.call(x, state)</c> in a dispose scope, so that nothing the call makes outlives it but the new state,
/// and the previous state disposed. Owns the module and the input. <c>--versus-pytorch</c> and
/// <c>--versus-onnxruntime</c> both time it.
/// </summary>
internal sealed class StepRun(RNNBase module, Tensor x) : IWorkloadRun
{
    private HiddenState? _state;

    /// <summary>The state the last call returned (null before the first: zeros).</summary>
    public HiddenState? State => _state;

    public void Call()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (_, state) = module.call(x, _state);
        _state?.Dispose();
        _state = state.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _state?.Dispose();
        x.Dispose();
        module.Dispose();
    }
}

internal sealed class PackedRun(RNNBase module, PackedSequence packed, bool train) : IWorkloadRun
{
    public void Call() => DenseRun.Once(module, train, () => module.call(packed).output.data);

    public void Dispose()
    {
        packed.Dispose();
        module.Dispose();
    }
}

/// <summary>
/// awd-lstm-lm's main.py batch: train mode, zero_grad, forward from a zero state, raw loss + AR (2) + TAR (1),
/// backward, clip_grad_norm_(0.25), SGD step (lr 30, weight decay 1.2e-6).
/// </summary>
internal sealed class AwdRun : IWorkloadRun
{
    private readonly Samples.LanguageModel.AWDModel _model;
    private readonly Tensor _data;
    private readonly Tensor _targets;
    private readonly TorchSharp.Modules.Parameter[] _parameters;
    private readonly torch.optim.Optimizer _optimizer;

    public AwdRun(Samples.LanguageModel.AWDModel model, Tensor tokens)
    {
        _model = model;
        _data = tokens[..^1];
        _targets = tokens[1..].reshape(-1);
        _parameters = [.. model.parameters()];
        _optimizer = torch.optim.SGD(_parameters, 30.0, weight_decay: 1.2e-6);
    }

    public void Call()
    {
        using var scope = torch.NewDisposeScope();
        _model.train();
        _optimizer.zero_grad();
        var result = _model.call(_data, _model.init_hidden(20));
        Samples.LanguageModel.AwdTrainer.Loss(result, _targets, 2.0, 1.0).loss.backward();
        torch.nn.utils.clip_grad_norm_(_parameters, 0.25);
        _optimizer.step();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}

internal sealed class DenseRun(RNNBase module, Tensor x, bool train) : IWorkloadRun
{
    public void Call() => Once(module, train, () => module.call(x).output);

    /// <summary>One forward (without gradients), or forward and backward of the output's sum, in a dispose scope.</summary>
    public static void Once(RNNBase module, bool train, Func<Tensor> forward) => Once(train, forward, () => module.zero_grad());

    /// <summary>As <see cref="Once(RNNBase, bool, Func{Tensor})"/>, with the gradients cleared by <paramref name="zeroGrad"/>.</summary>
    public static void Once(bool train, Func<Tensor> forward, Action zeroGrad)
    {
        using var scope = torch.NewDisposeScope();
        if (!train)
        {
            using var noGrad = torch.no_grad();
            forward();
            return;
        }
        zeroGrad();
        forward().sum().backward();
    }

    public void Dispose()
    {
        x.Dispose();
        module.Dispose();
    }
}

using System.Collections.Generic;
using NUnit.Framework;
using TorchRnn.Engines;
using TorchRnn.Kinds;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Engines;

/// <summary>
/// Each rule of the kinds' <c>ChooseEngine</c>, through the modules themselves where this machine can make the call, so
/// that a later change cannot silently send the common case down a slow path.
/// </summary>
public class EngineChoiceTests
{
    private static IEnumerable<TestCaseData> Rules()
    {
        // With autograd, a float32 LSTM on the CPU: the fused LSTM under autograd at one step up to H = 256, two to four
        // steps, and any length where H x N is at most 64; one wider step on the cells (oneDNN's fixed cost per call is most of a
        // step); longer sequences of wider LSTMs on the whole-sequence kernel.
        yield return Rule("LSTM", ScalarType.Float32, length: 1, packed: false, Engine.FusedTraining).SetName("{m}_OneStepSmallLstmWithAutograd_TakesFusedTraining");
        yield return Rule("LSTM", ScalarType.Float32, length: 1, packed: false, Engine.Cells, hidden: 512).SetName("{m}_OneStepWideLstmWithAutograd_TakesCells");
        yield return Rule("LSTM", ScalarType.Float32, length: 3, packed: false, Engine.FusedTraining, hidden: 512).SetName("{m}_ShortLstmWithAutograd_TakesFusedTraining");
        yield return Rule("LSTM", ScalarType.Float32, length: 50, packed: false, Engine.FusedTraining, hidden: 32).SetName("{m}_LongNarrowLstmWithAutograd_TakesFusedTraining");
        yield return Rule("LSTM", ScalarType.Float32, length: 16, packed: false, Engine.Native, hidden: 32, batch: 32).SetName("{m}_LongNarrowLstmLargeBatch_TakesNative");
        yield return Rule("LSTM", ScalarType.Float32, length: 5, packed: false, Engine.Native, hidden: 65).SetName("{m}_LongerWiderLstm_TakesNative");
        yield return Rule("LSTM", ScalarType.Float32, length: 50, packed: false, Engine.Native, hidden: 128).SetName("{m}_LongLstm_TakesNative");
        // float64 has no oneDNN path; GRU and RNN have none either: their native kernel is one call.
        yield return Rule("LSTM", ScalarType.Float64, length: 1, packed: false, Engine.Native).SetName("{m}_OneStepFloat64Lstm_TakesNative");
        yield return Rule("GRU", ScalarType.Float32, length: 1, packed: false, Engine.Native).SetName("{m}_OneStepGru_TakesNative");
        yield return Rule("RNN_TANH", ScalarType.Float32, length: 1, packed: false, Engine.Native).SetName("{m}_OneStepRnn_TakesNative");
        // Packed batches on the CPU: the managed recurrence (one input product per layer, no re-packing) for LSTM and
        // RNN; GRU's longer gate arithmetic goes faster forward in one native cell call a step.
        yield return Rule("LSTM", ScalarType.Float32, length: 30, packed: true, Engine.Managed).SetName("{m}_PackedLstm_TakesManaged");
        yield return Rule("RNN_TANH", ScalarType.Float64, length: 30, packed: true, Engine.Managed).SetName("{m}_PackedRnn_TakesManaged");
        yield return Rule("GRU", ScalarType.Float32, length: 30, packed: true, Engine.Cells).SetName("{m}_PackedGru_TakesCells");
    }

    private static TestCaseData Rule(string mode, ScalarType dtype, long length, bool packed, Engine expected, long hidden = 6, long batch = 1)
        => new(mode, dtype, length, packed, expected.ToString(), hidden, batch);

    [TestCaseSource(nameof(Rules))]
    public void EngineFor(string mode, ScalarType dtype, long length, bool packed, string expected, long hidden, long batch)
    {
        using var module = nn.RNNBase(mode, 4, hidden, 2, dtype: dtype);
        Assert.That(module.EngineFor(length, packed, batch).ToString(), Is.EqualTo(expected));
    }

    /// <summary>Inference (nothing for autograd to record): the fused engine where it was measured faster.</summary>
    private static IEnumerable<TestCaseData> InferenceRules()
    {
        // Generation and streaming: one step of every kind, up to FusedMaxBatch rows.
        yield return Inference("LSTM", ScalarType.Float32, length: 1, batch: 1, packed: false, Engine.Fused).SetName("{m}_InferenceStepLstm_TakesFused");
        yield return Inference("GRU", ScalarType.Float32, length: 1, batch: 32, packed: false, Engine.Fused).SetName("{m}_InferenceStepGruBatch32_TakesFused");
        yield return Inference("RNN_RELU", ScalarType.Float32, length: 1, batch: 8, packed: false, Engine.Fused).SetName("{m}_InferenceStepRnn_TakesFused");
        // Sequences: GRU and RNN at any length; LSTM's whole-sequence kernel wins from two steps.
        yield return Inference("GRU", ScalarType.Float32, length: 35, batch: 10, packed: false, Engine.Fused).SetName("{m}_InferenceSequenceGru_TakesFused");
        yield return Inference("LSTM", ScalarType.Float32, length: 35, batch: 10, packed: false, Engine.Native).SetName("{m}_InferenceSequenceLstm_TakesNative");
        // Larger batches, float64 and packed input keep the rules above.
        yield return Inference("LSTM", ScalarType.Float32, length: 1, batch: 33, packed: false, Engine.Cells).SetName("{m}_InferenceStepBatch33_TakesCells");
        yield return Inference("GRU", ScalarType.Float64, length: 1, batch: 1, packed: false, Engine.Native).SetName("{m}_InferenceFloat64_TakesNative");
        // Packed inference: the fused engine for every kind (LibTorch's packed kernels project the input step by step).
        yield return Inference("LSTM", ScalarType.Float32, length: 30, batch: 4, packed: true, Engine.Fused).SetName("{m}_InferencePackedLstm_TakesFused");
        yield return Inference("GRU", ScalarType.Float32, length: 30, batch: 32, packed: true, Engine.Fused).SetName("{m}_InferencePackedGru_TakesFused");
        yield return Inference("LSTM", ScalarType.Float32, length: 30, batch: 33, packed: true, Engine.Managed).SetName("{m}_InferencePackedBatch33_TakesManaged");
    }

    private static TestCaseData Inference(string mode, ScalarType dtype, long length, long batch, bool packed, Engine expected)
        => new(mode, dtype, length, batch, packed, expected.ToString());

    [TestCaseSource(nameof(InferenceRules))]
    public void EngineFor_Inference(string mode, ScalarType dtype, long length, long batch, bool packed, string expected)
    {
        using var module = nn.RNNBase(mode, 4, 6, 2, dtype: dtype);
        Assert.That(module.EngineFor(length, packed, batch, grad: false).ToString(), Is.EqualTo(expected));
    }

    [Test]
    public void EngineFor_ProjectionsInInference_TakeFused([Values(1, 2, 50)] long length, [Values] bool packed)
    {
        using var lstm = nn.LSTM(4, 6, 2, proj_size: 3);
        Assert.That(lstm.EngineFor(length, packed, batch: 8, grad: false), Is.EqualTo(Engine.Fused));
    }

    [Test]
    public void EngineFor_InferenceInTrainingWithDropout_KeepsTheDrawingEngines()
    {
        // Dropout between layers draws masks in training even without autograd: the fused engine draws none.
        using var lstm = nn.LSTM(4, 6, 2, dropout: 0.5);
        lstm.train();
        Assert.That(lstm.EngineFor(1, packed: false, batch: 1, grad: false), Is.EqualTo(Engine.Cells));
        lstm.eval();
        Assert.That(lstm.EngineFor(1, packed: false, batch: 1, grad: false), Is.EqualTo(Engine.Fused));
    }

    [Test]
    public void Forward_GenerationStep_RunsOnTheFusedEngine()
    {
        // Through forward itself: under no_grad a step is the fused engine's, bit for bit; with autograd it is not.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var gru = nn.GRU(4, 6, 2);
        var x = torch.randn(1, 3, 4);
        gru.ForcedEngine = Engine.Fused;
        Tensor fused, chosen;
        using (torch.no_grad()) (fused, _) = gru.call(x);
        gru.ForcedEngine = null;
        using (torch.no_grad()) (chosen, _) = gru.call(x);
        var (recorded, _) = gru.call(x);
        Assert.That(chosen.allclose(fused, 0, 0), Is.True, "no_grad: the fused engine's result");
        Assert.That(recorded.requires_grad, Is.True, "with autograd: an engine autograd records");
    }

    [Test]
    public void EngineFor_ProjectionsWithAutograd_TakeFusedTrainingDenseAndManagedPacked([Values(1, 2, 50)] long length, [Values] bool packed)
    {
        using var lstm = nn.LSTM(4, 300, 2, proj_size: 3);
        Assert.That(lstm.EngineFor(length, packed), Is.EqualTo(packed ? Engine.Managed : Engine.FusedTraining));
    }

    [Test]
    public void EngineFor_WithAutogradAboveTheFusedBatch_KeepsTheOtherEngines()
    {
        using var lstm = nn.LSTM(4, 6, 2, proj_size: 3);
        Assert.That(lstm.EngineFor(3, packed: false, batch: LibTorchKind.FusedMaxBatch + 1), Is.EqualTo(Engine.Managed));
    }

    // The CUDA rule is checked on the rule itself: this machine has no GPU to put a module on.
    [Test]
    public void ForSequence_OnCuda_TakesNativeDenseAndPacked([Values(1, 50)] long length, [Values] bool packed, [Values("LSTM", "GRU")] string mode)
    {
        var kind = LibTorchKind.FromModeString(mode);
        var options = new SequenceOptions(kind, 4, 6, 2, true, false, 0, false, 0);
        var call = new EngineCall(DeviceType.CUDA, ScalarType.Float32, length, Batch: 1, packed, Grad: false, Training: false);
        Assert.That(kind.ChooseEngine(options, call), Is.EqualTo(Engine.Native));
    }

    [Test]
    public void Forward_OneStepWideLstm_RunsOnTheCellsEngine()
    {
        // The rule above is what forward uses: a forced native engine and the chosen one agree, and the chosen one is
        // the cells' (which the engine-parity tests check against PyTorch).
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var lstm = nn.LSTM(4, 300, 2);
        var x = torch.randn(1, 3, 4);
        var (chosen, _) = lstm.call(x);
        lstm.ForcedEngine = Engine.Cells;
        var (cells, _) = lstm.call(x);
        lstm.ForcedEngine = Engine.Native;
        var (native, _) = lstm.call(x);
        Assert.That(chosen.allclose(cells, 0, 0), Is.True, "bit for bit the cells' result");
        Assert.That(chosen.allclose(native, 1e-5, 1e-5), Is.True);
    }

    [Test]
    public void Forward_TutorialLstmWithAutograd_RunsOnTheFusedTrainingEngine()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var lstm = nn.LSTM(5, 6, 2);
        var x = torch.randn(1, 3, 5);
        var (chosen, _) = lstm.call(x);
        lstm.ForcedEngine = Engine.FusedTraining;
        var (fused, _) = lstm.call(x);
        lstm.ForcedEngine = Engine.Managed;
        var (managed, _) = lstm.call(x);
        Assert.That(chosen.allclose(fused, 0, 0), Is.True, "bit for bit the fused engine's result");
        Assert.That(chosen.requires_grad, Is.True, "recorded for autograd");
        Assert.That(chosen.allclose(managed, 1e-6, 1e-6), Is.True);
    }
}

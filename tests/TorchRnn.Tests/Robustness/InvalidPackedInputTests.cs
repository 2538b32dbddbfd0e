using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Robustness;

/// <summary>What is wrong with a packed forward call.</summary>
public enum PackedFlaw
{
    IncreasingBatchSizes,
    ZeroBatchSize,
    BatchSizesSumTooLarge,
    BatchSizesSumTooSmall,
    EmptyBatchSizes,
    BatchSizesInt32,
    BatchSizesTwoDims,
    DataOneDim,
    DataThreeDims,
    FeatureSize,
    DataDType,
    IndicesTooShort,
    IndicesOutOfRange,
    IndicesFloat,
    StateBatch,
    StateLayers,
    StateFeatures,
}

/// <summary>
/// A packed forward call with one flaw, built from valid lengths (<see cref="Lengths"/>, longest first) by changing
/// one thing; <see cref="Which"/> picks the state (h or c) a state flaw touches.
/// </summary>
public sealed record FlawedPackedCall(ModuleConfig Module, ScalarType DType, long[] Lengths, bool Unsorted, bool WithState,
    PackedFlaw Flaw, int Which, long Offset)
{
    public override string ToString()
        => $"{Module} in {DType}, lengths ({string.Join(", ", Lengths)}){(Unsorted ? " unsorted" : "")}, states " +
           $"{(WithState ? "given" : "default")}: {Flaw} (state {Which}, offset {Offset})";

    public bool Applies => Flaw switch
    {
        PackedFlaw.StateBatch or PackedFlaw.StateLayers or PackedFlaw.StateFeatures => WithState && Which < (Module.IsLstm ? 2 : 1),
        PackedFlaw.IndicesTooShort or PackedFlaw.IndicesOutOfRange or PackedFlaw.IndicesFloat => Unsorted,
        PackedFlaw.ZeroBatchSize or PackedFlaw.IncreasingBatchSizes => Lengths[0] > 1,
        _ => true,
    };

    /// <summary>The flawed sequence and states.</summary>
    public (PackedSequence input, HiddenState? hx) Make()
    {
        var batch = Lengths.Length;
        var steps = Lengths[0];
        var batchSizes = Enumerable.Range(0, (int)steps).Select(t => (long)Lengths.Count(l => l > t)).ToArray();
        var rows = batchSizes.Sum();
        long[] dataShape = [rows, Module.InputSize];
        var dataType = DType;
        var sizesType = ScalarType.Int64;
        Tensor? sorted = Unsorted ? torch.randperm(batch) : null;
        switch (Flaw)
        {
            case PackedFlaw.IncreasingBatchSizes: batchSizes[^1] = batchSizes[0] + Offset; dataShape[0] = batchSizes.Sum(); break;
            case PackedFlaw.ZeroBatchSize: batchSizes[^1] = 0; dataShape[0] = batchSizes.Sum(); break;
            case PackedFlaw.BatchSizesSumTooLarge: batchSizes[0] += Offset; break;
            case PackedFlaw.BatchSizesSumTooSmall: dataShape[0] += Offset; break;
            case PackedFlaw.EmptyBatchSizes: batchSizes = []; break;
            case PackedFlaw.BatchSizesInt32: sizesType = ScalarType.Int32; break;
            case PackedFlaw.DataOneDim: dataShape = [rows]; break;
            case PackedFlaw.DataThreeDims: dataShape = [rows, 1, Module.InputSize]; break;
            case PackedFlaw.FeatureSize: dataShape[1] += Offset; break;
            case PackedFlaw.DataDType: dataType = DType == ScalarType.Float32 ? ScalarType.Float64 : ScalarType.Float32; break;
            case PackedFlaw.IndicesTooShort: sorted = torch.arange(batch - 1, 0, -1); break;
            case PackedFlaw.IndicesOutOfRange: sorted![0] = batch - 1 + Offset; break;
            case PackedFlaw.IndicesFloat: sorted = sorted!.to(ScalarType.Float32); break;
        }
        var sizes = torch.tensor(batchSizes, ScalarType.Int64).to(sizesType);
        if (Flaw == PackedFlaw.BatchSizesTwoDims) sizes = sizes.unsqueeze(0);
        var unsorted = Flaw is PackedFlaw.IndicesOutOfRange or PackedFlaw.IndicesFloat or PackedFlaw.IndicesTooShort ? sorted : null;
        var input = new PackedSequence(torch.randn(dataShape, dataType), sizes, sorted, unsorted);
        if (!WithState) return (input, null);
        var shapes = Module.StateShapes(InputForm.Batched, batch);
        var at = Flaw switch { PackedFlaw.StateBatch => 1, PackedFlaw.StateLayers => 0, PackedFlaw.StateFeatures => 2, _ => -1 };
        if (at >= 0) shapes[Which][at] += Offset;
        var states = shapes.Select(s => torch.zeros(s, DType)).ToArray();
        return (input, new HiddenState(states[0], states.Length > 1 ? states[1] : null));
    }
}

/// <summary>
/// Random flawed packed calls (CsCheck) on RNN, LSTM and GRU: each ends in an ArgumentException before any native
/// call, never in LibTorch's ExternalException (which TorchSharp's split_with_sizes and index_select raise on such
/// sequences), and the module still works afterwards.
/// </summary>
[TestFixture]
public class InvalidPackedInputTests
{
    public const int Cases = 2000;

    private static readonly Gen<FlawedPackedCall> FlawedCalls =
        (from module in RandomCases.SequenceModules
         from dtype in Gen.OneOf(ScalarType.Float32, ScalarType.Float64)
         from lengths in Gen.Int[1, 4].Array[1, 4]
         from unsorted in Gen.Bool
         from withState in Gen.Bool
         from flaw in Gen.Enum<PackedFlaw>()
         from which in Gen.Int[0, 1]
         from offset in Gen.Int[1, 3]
         select new FlawedPackedCall(module, dtype, lengths.Select(l => (long)l).OrderDescending().ToArray(), unsorted, withState, flaw,
             which, offset))
        .Where(c => c.Applies);

    [Test]
    public void Forward_RandomFlawedPackedCalls_ThrowArgumentExceptionAndTheModuleStillWorks()
    {
        using var threads = new OneIntraOpThread();
        var drawn = new Dictionary<PackedFlaw, int>();
        FlawedCalls.Sample(c =>
        {
            drawn[c.Flaw] = drawn.GetValueOrDefault(c.Flaw) + 1;
            using var scope = torch.NewDisposeScope();
            using var module = (RNNBase)c.Module.Build(c.DType);
            var (input, hx) = c.Make();
            try
            {
                module.call(input, hx);
            }
            catch (ArgumentException)
            {
                using var valid = nn.utils.rnn.pack_sequence([torch.randn(2, c.Module.InputSize, c.DType), torch.randn(1, c.Module.InputSize, c.DType)]);
                var (output, _) = module.call(valid);
                Property.Require(output.data.shape[0] == 3, "valid packed forward afterwards");
                return;
            }
            catch (Exception e)
            {
                throw new PropertyException($"threw {e.GetType().FullName}, not an ArgumentException: {e.Message}");
            }
            throw new PropertyException("the flawed call was accepted");
        }, iter: Cases, threads: 1);
        TestContext.Out.WriteLine(string.Join(", ", drawn.OrderBy(d => d.Key).Select(d => $"{d.Key} {d.Value}")));
        // The rarest flaws (a state's, which apply to a third of the calls) come about 50 times in 2000, with a standard
        // deviation near 7; the sampler's seed is random, so a bound of 33 failed now and then (32 was seen). 10 still
        // says each flaw was exercised many times, and lies 6 standard deviations below.
        Assert.That(Enum.GetValues<PackedFlaw>().Select(f => drawn.GetValueOrDefault(f)), Is.All.GreaterThan(Cases / 200), "every flaw is drawn");
    }

    // The issue's examples: batch sizes that do not sum to the data's rows, and increasing batch sizes, ended in
    // LibTorch's split_with_sizes error with a C++ stack trace.
    [TestCase(new long[] { 3, 3 }, "packed/BatchSizes (3, 3)")]
    [TestCase(new long[] { 2, 3 }, "packed/BatchSizes (2, 3)")]
    public void Forward_InconsistentBatchSizes_ThrowsArgumentExceptionNamingThem(long[] batchSizes, string name)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var module in new RNNBase[] { nn.RNN(16, 4), nn.GRU(16, 4), nn.LSTM(16, 4) })
        {
            using (module)
            {
                Errors.Expect(name, Assert.Throws<ArgumentException>(() => module.call(new PackedSequence(torch.randn(5, 16), torch.tensor(batchSizes))))!);
            }
        }
    }
}

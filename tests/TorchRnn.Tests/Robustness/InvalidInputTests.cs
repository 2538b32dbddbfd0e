using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Robustness;

/// <summary>What is wrong with a forward call.</summary>
public enum Flaw
{
    InputRank,
    FeatureSize,
    StateRank,
    StateBatch,
    StateLayers,
    StateFeatures,
    InputDType,
    StateDType,
    EmptySequence,
    NullState,
}

/// <summary>
/// A forward call with one flaw: <see cref="Which"/> picks the state (h or c) it touches, <see cref="Wrong"/> is a
/// size or rank the module must refuse, <see cref="WrongType"/> a dtype, <see cref="Dims"/> the sizes of a shape of
/// the wrong rank.
/// </summary>
public sealed record FlawedCall(ModuleConfig Module, ScalarType DType, InputForm Form, long Length, long Batch, bool WithState,
    Flaw Flaw, int Which, long Wrong, ScalarType WrongType, long[] Dims)
{
    public override string ToString()
        => $"{Module} in {DType} on {Form} input, L={Length}, N={Batch}, states {(WithState ? "given" : "default")}: " +
           $"{Flaw} (state {Which}, wrong {Wrong}, type {WrongType}, dims ({string.Join(", ", Dims)}))";

    /// <summary>Whether the flaw makes sense for this module and form (a cell has no layers, an RNN no c, ...).</summary>
    public bool Applies => Flaw switch
    {
        Flaw.StateRank or Flaw.StateFeatures => WithState && Which < States,
        Flaw.StateDType => WithState && Which < States && WrongType != DType,
        Flaw.StateBatch => WithState && Which < States && Form == InputForm.Batched,
        Flaw.StateLayers => WithState && Which < States && !Module.IsCell,
        Flaw.EmptySequence => !Module.IsCell,
        Flaw.NullState => WithState && Module.IsLstm && Which < States,
        Flaw.InputDType => WrongType != DType,
        _ => true,
    };

    private int States => Module.IsLstm ? 2 : 1;

    /// <summary>The flawed input and states (a null entry is a state left out of LSTM's pair).</summary>
    public (Tensor input, Tensor?[] states) Make()
    {
        var m = Module;
        var length = Flaw == Flaw.EmptySequence ? 0 : Length;
        var inputShape = m.InputShape(Form, length, Batch);
        var stateShapes = WithState ? m.StateShapes(Form, Batch) : [];
        var inputType = DType;
        var stateTypes = stateShapes.Select(_ => DType).ToArray();
        switch (Flaw)
        {
            case Flaw.InputRank:
                inputShape = Dims.Take((int)Wrong).ToArray();
                break;
            case Flaw.FeatureSize:
                inputShape[^1] = Wrong;
                break;
            case Flaw.StateRank:
                stateShapes[Which] = Dims.Take((int)Wrong).ToArray();
                break;
            case Flaw.StateBatch:
                stateShapes[Which][m.IsCell ? 0 : 1] = Wrong;
                break;
            case Flaw.StateLayers:
                stateShapes[Which][0] = Wrong;
                break;
            case Flaw.StateFeatures:
                stateShapes[Which][^1] = Wrong;
                break;
            case Flaw.InputDType:
                inputType = WrongType;
                break;
            case Flaw.StateDType:
                stateTypes[Which] = WrongType;
                break;
        }
        var input = Filled(inputShape, inputType);
        var states = stateShapes.Select((s, i) => (Tensor?)Filled(s, stateTypes[i])).ToArray();
        if (Flaw == Flaw.NullState) states[Which] = null;
        return (input, states);
    }

    /// <summary>A valid input for the same module, to show that it still works.</summary>
    public Tensor ValidInput() => torch.randn(Module.InputShape(Form, Math.Max(Length, 1), Batch), DType);

    private static Tensor Filled(long[] shape, ScalarType dtype)
        => dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.ComplexFloat32
            ? torch.randn(shape, dtype)
            : torch.ones(shape, dtype);
}

/// <summary>
/// Random invalid constructor arguments and forward calls (CsCheck): each one ends in an ArgumentException (or a
/// subclass), never in TorchSharp's native ExternalException, an IndexOutOfRangeException, a NullReferenceException
/// or a crash, and the library (and the module) still work afterwards. The constructor property also draws valid
/// arguments and requires that exactly the invalid ones are refused, by an oracle written from PyTorch's rules.
/// </summary>
/// <remarks>Fixed counts; a failure prints CsCheck's seed (<c>CsCheck_Seed=... dotnet test --filter ...</c>).</remarks>
[TestFixture]
public class InvalidInputTests
{
    public const int ConstructorCases = 3000;
    public const int ForwardCases = 5000;

    private static readonly ScalarType[] Types =
    [
        ScalarType.Float32, ScalarType.Float64, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool, ScalarType.ComplexFloat32,
    ];

    private static readonly Gen<double> Dropouts = Gen.Frequency(
        (4, Gen.Const(0.0)),
        (2, Gen.Double[0, 1]),
        (1, Gen.OneOf(1.0, double.NaN, -0.1, -double.Epsilon, 1.0000001, 2.0, double.PositiveInfinity, double.NegativeInfinity)));

    internal static readonly Gen<ModuleConfig> AnyArguments =
        from kind in Gen.Enum<ModuleKind>()
        from nonlinearity in Gen.Frequency((6, Gen.OneOf("tanh", "relu")), (1, Gen.OneOf("sigmoid", "", "Tanh", "RELU", " tanh", "gelu")))
        from inputSize in Gen.Int[-2, 4]
        from hiddenSize in Gen.Int[-2, 4]
        from layers in Gen.Int[-1, 3]
        from dropout in Dropouts
        from proj in Gen.Frequency((2, Gen.Const(0)), (1, Gen.Int[-2, 5]))
        select new ModuleConfig(kind, nonlinearity, inputSize, hiddenSize,
            kind >= ModuleKind.RNNCell ? 1 : layers, true, false, false, kind == ModuleKind.LSTM ? proj : 0,
            kind >= ModuleKind.RNNCell ? 0 : dropout);

    private static readonly Gen<FlawedCall> FlawedCalls =
        (from module in Gen.Frequency((3, RandomCases.SequenceModules), (2, RandomCases.Cells))
         from dtype in Gen.OneOf(ScalarType.Float32, ScalarType.Float64)
         from form in Gen.OneOf(InputForm.Batched, InputForm.Unbatched)
         from length in Gen.Int[1, 3]
         from batch in Gen.Int[0, 3]
         from withState in Gen.Frequency((1, Gen.Const(false)), (3, Gen.Const(true)))
         from flaw in Gen.Enum<Flaw>()
         from which in Gen.Int[0, 1]
         from offset in Gen.Int[1, 3]
         from smaller in Gen.Bool
         from rank in Gen.Int[0, 5]
         from wrongType in Gen.OneOf(Types)
         from dims in Gen.Int[0, 3].Array[5]
         let fine = Fine(module, form, length, batch, flaw, which)
         let wrong = flaw is Flaw.InputRank or Flaw.StateRank ? rank : smaller && fine >= offset ? fine - offset : fine + offset
         select new FlawedCall(module, dtype, form, length, batch, withState, flaw, which, wrong, wrongType, Array.ConvertAll(dims, d => (long)d)))
        .Where(c => c.Applies && !RankIsRight(c));

    [Test]
    public void Construct_RandomArguments_RefusesExactlyTheInvalidOnesWithArgumentException()
    {
        using var threads = new OneIntraOpThread();
        var invalid = 0;
        var previous = Warnings.Handler;
        Warnings.Handler = _ => { }; // dropout on one layer only warns
        try
        {
            AnyArguments.Sample(m =>
            {
                using var scope = torch.NewDisposeScope();
                if (IsInvalid(m))
                {
                    invalid++;
                    RequireArgumentException(() => m.Build(ScalarType.Float32).Dispose(), "construction");
                    StillWorks();
                }
                else
                {
                    using var module = Run(() => m.Build(ScalarType.Float32), "construction");
                    var input = torch.randn(m.InputShape(InputForm.Batched, 2, 2));
                    Run(() => RandomCases.Forward(module, input, []), "forward");
                }
            }, iter: ConstructorCases, threads: 1);
        }
        finally
        {
            Warnings.Handler = previous;
        }
        TestContext.Out.WriteLine($"{invalid} invalid and {ConstructorCases - invalid} valid argument sets");
        Assert.That(invalid, Is.InRange(ConstructorCases / 4, ConstructorCases * 3 / 4), "both kinds are drawn often");
    }

    [Test]
    public void Forward_RandomFlawedCalls_ThrowArgumentExceptionAndTheModuleStillWorks()
    {
        using var threads = new OneIntraOpThread();
        var drawn = new Dictionary<Flaw, int>();
        FlawedCalls.Sample(c =>
        {
            drawn[c.Flaw] = drawn.GetValueOrDefault(c.Flaw) + 1;
            using var scope = torch.NewDisposeScope();
            using var module = c.Module.Build(c.DType);
            var (input, states) = c.Make();
            RequireArgumentException(() => RandomCases.Forward(module, input, states!), "forward");
            var (output, _, _) = Run(() => RandomCases.Forward(module, c.ValidInput(), []), "valid forward afterwards");
            Property.Require(output.dtype == c.DType, "valid forward afterwards: dtype");
        }, iter: ForwardCases, threads: 1);
        TestContext.Out.WriteLine(string.Join(", ", drawn.OrderBy(d => d.Key).Select(d => $"{d.Key} {d.Value}")));
        Assert.That(Enum.GetValues<Flaw>().Select(f => drawn.GetValueOrDefault(f)), Is.All.GreaterThan(ForwardCases / 50), "every flaw is drawn");
    }

    // Found by the property above: before Checks.StatePair, a null c_0 ended in a NullReferenceException, and a
    // null h_0 quietly became zeros while the given c_0 went to the kernel unchecked (any shape).
    [TestCase(ModuleKind.LSTM, 0)]
    [TestCase(ModuleKind.LSTM, 1)]
    [TestCase(ModuleKind.LSTMCell, 0)]
    [TestCase(ModuleKind.LSTMCell, 1)]
    public void Forward_LstmStatePairWithANull_ThrowsTheFixturesArgumentNullException(ModuleKind kind, int which)
    {
        using var scope = torch.NewDisposeScope();
        var m = new ModuleConfig(kind, "tanh", 3, 4, 1, true, false, false, 0);
        using var module = m.Build(ScalarType.Float32);
        var states = m.StateShapes(InputForm.Batched, 2).Select(s => (Tensor?)torch.zeros(s)).ToArray();
        states[which] = null;
        var error = Assert.Throws<ArgumentNullException>(() => RandomCases.Forward(module, torch.randn(m.InputShape(InputForm.Batched, 2, 2)), states!));
        Errors.Expect($"state_pair/{kind}/{which}", error!);
    }

    // Found by hand after the properties: a sparse input reached LibTorch, which threw ExternalException "reshape is
    // not implemented for sparse tensors". Checks.Dense now refuses sparse inputs and states first, in TorchRnn's own
    // words; PyTorch runs some of these calls (a sparse h of RNN and LSTM, a sparse input of a cell), which errors.json
    // records for each case.
    public static IEnumerable<TestCaseData> SparseCases()
        => from kind in Enum.GetValues<ModuleKind>()
           from sparse in kind is ModuleKind.LSTM or ModuleKind.LSTMCell ? new[] { -1, 0, 1 } : new[] { -1, 0 }
           select new TestCaseData(kind, sparse);

    [TestCaseSource(nameof(SparseCases))]
    public void Forward_SparseInputOrState_ThrowsTheFixturesMessage(ModuleKind kind, int sparse)
    {
        using var scope = torch.NewDisposeScope();
        var m = new ModuleConfig(kind, "tanh", 3, 4, 1, true, false, false, 0);
        using var module = m.Build(ScalarType.Float32);
        var input = torch.randn(m.InputShape(InputForm.Batched, 2, 2));
        var states = m.StateShapes(InputForm.Batched, 2).Select(s => torch.zeros(s)).ToArray();
        if (sparse < 0) input = input.to_sparse();
        else states[sparse] = states[sparse].to_sparse();
        Errors.Expect($"sparse/{kind}/{sparse}", Assert.Throws(Is.InstanceOf<ArgumentException>(), () => RandomCases.Forward(module, input, states))!);
        Assert.That(RandomCases.Forward(module, input.to_dense(), states.Select(s => s.to_dense()).ToArray()).Output.shape[^1], Is.EqualTo(4));
    }

    [Test]
    public void Forward_TensorsOnAnotherDevice_ThrowTheFixturesMessages()
    {
        if (!torch.cuda.is_available()) Assert.Ignore("needs CUDA");
        using var scope = torch.NewDisposeScope();
        foreach (var kind in Enum.GetValues<ModuleKind>())
        {
            var m = new ModuleConfig(kind, "tanh", 3, 4, 2, true, false, false, 0);
            using var module = m.Build(ScalarType.Float32);
            var input = torch.randn(m.InputShape(InputForm.Batched, 2, 2));
            var states = m.StateShapes(InputForm.Batched, 2).Select(s => torch.zeros(s)).ToArray();
            // PyTorch 1.13 ran these calls with the tensor on its meta device (Debian's build has no CUDA).
            var onInput = Errors.Case($"device/{kind}/input");
            Errors.Expect(onInput, Assert.Throws(Is.InstanceOf<ArgumentException>(), () => RandomCases.Forward(module, input.cuda(), []))!, onInput.MessageOn("cuda:0"));
            var onStates = Errors.Case($"device/{kind}/states");
            Errors.Expect(onStates, Assert.Throws(Is.InstanceOf<ArgumentException>(), () => RandomCases.Forward(module, input, states.Select(s => s.cuda()).ToArray()))!,
                onStates.MessageOn("cuda:0"));
            Assert.That(RandomCases.Forward(module, input, states).Output.device_type, Is.EqualTo(DeviceType.CPU));
        }
    }

    /// <summary>PyTorch's rules (RNNBase.__init__; the cells' torch.empty and nonlinearity check).</summary>
    internal static bool IsInvalid(ModuleConfig m)
    {
        var badNonlinearity = m.Kind is ModuleKind.RNN or ModuleKind.RNNCell && m.Nonlinearity is not ("tanh" or "relu");
        if (m.IsCell) return badNonlinearity || m.InputSize < 0 || m.HiddenSize < 0;
        return badNonlinearity || !(m.Dropout >= 0 && m.Dropout <= 1) || m.HiddenSize <= 0 || m.NumLayers <= 0 ||
               m.InputSize <= 0 || m.ProjSize < 0 || m.ProjSize >= m.HiddenSize;
    }

    /// <summary>The right value of what the flaw changes (sizes; ranks are drawn separately).</summary>
    private static long Fine(ModuleConfig m, InputForm form, long length, long batch, Flaw flaw, int which) => flaw switch
    {
        Flaw.FeatureSize => m.InputSize,
        Flaw.StateBatch => batch,
        Flaw.StateLayers => m.Directions * m.NumLayers,
        Flaw.StateFeatures => m.IsLstm && which == 0 ? m.OutputSize : m.HiddenSize,
        _ => 0,
    };

    private static bool RankIsRight(FlawedCall c)
    {
        var unbatched = c.Form == InputForm.Unbatched;
        return c.Flaw switch
        {
            Flaw.InputRank => c.Module.IsCell ? c.Wrong is 1 or 2 : c.Wrong is 2 or 3,
            Flaw.StateRank => c.Wrong == (c.Module.IsCell ? 1 : 2) + (unbatched ? 0 : 1),
            _ => false,
        };
    }

    private static void StillWorks()
    {
        using var rnn = nn.LSTM(2, 3, 2, bidirectional: true);
        var (output, _) = rnn.call(torch.randn(4, 1, 2));
        Property.Require(output.shape.SequenceEqual(new long[] { 4, 1, 6 }), "a module made afterwards works");
    }

    private static T Run<T>(Func<T> act, string what)
    {
        try
        {
            return act();
        }
        catch (Exception e)
        {
            throw new PropertyException($"{what} threw {e.GetType().FullName}: {e.Message}");
        }
    }

    private static void RequireArgumentException(Action act, string what)
    {
        try
        {
            act();
        }
        catch (ArgumentException)
        {
            return;
        }
        catch (Exception e)
        {
            throw new PropertyException($"{what} threw {e.GetType().FullName}, not an ArgumentException: {e.Message}");
        }
        throw new PropertyException($"{what} was accepted");
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Regularization;

/// <summary>
/// LockedDropout, embedded_dropout and AR/TAR against awd-lstm-lm's own code (tests/fixtures/awd_lstm.py, generate_awd.py:
/// awd.json's locked_dropout, embedded_dropout and ar_tar sections): outputs, gradients, and the generator's position
/// after the call. Where this CPU's LibTorch draws other Bernoulli masks than the fixtures' PyTorch did
/// (<see cref="DrawPath"/>), a mask-dependent case asserts what holds for any mask instead: the mask is read back from
/// the output and the result, gradients included, is rebuilt from it by formulas independent of the implementation.
/// Those checks run on every CPU; the fixture's numbers are compared on top where the draws match.
/// </summary>
public class AwdRegularizerFixtureTests
{
    private static readonly JsonElement Root = JsonFixture.Root("awd.json");

    private static JsonElement Case(string section, string name)
        => Root.GetProperty(section).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static IEnumerable<TestCaseData> Names(string section, string test)
        => Root.GetProperty(section).EnumerateArray().Select(c => c.GetProperty("name").GetString()!)
            .Select(n => new TestCaseData(n).SetName(test.Replace("{0}", n.Replace('.', '_'), StringComparison.Ordinal)));

    private static IEnumerable<TestCaseData> LockedCases() => Names("locked_dropout", "Forward_{0}_MatchesAwdLstm");

    private static IEnumerable<TestCaseData> EmbeddingCases() => Names("embedded_dropout", "EmbeddedDropout_{0}_MatchesAwdLstm");

    private static IEnumerable<TestCaseData> ArTarCases() => Names("ar_tar", "ArTar_{0}_MatchesAwdLstm");

    // ---- LockedDropout -------------------------------------------------------------------------------------------

    [TestCaseSource(nameof(LockedCases))]
    public void Forward_Case_MatchesAwdLstm(string name)
    {
        using var scope = torch.NewDisposeScope();
        var c = Case("locked_dropout", name);
        var p = c.GetProperty("dropout").GetDouble();
        var train = c.GetProperty("train").GetBoolean();
        var batchFirst = c.GetProperty("batch_first").GetBoolean();
        var lengths = c.GetProperty("lengths").ValueKind == JsonValueKind.Null ? null : c.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var x = Record(c, "input").ToTensor(ScalarType.Float32, torch.CPU, requiresGrad: true);
        var weights = Record(c, "loss_weights").ToTensor(ScalarType.Float32, torch.CPU);
        var module = nn.LockedDropout(batch_first: batchFirst);
        module.train(train);

        torch.manual_seed(c.GetProperty("forward_seed").GetInt64());
        var output = lengths is null
            ? module.call(x, p)
            : nn.utils.rnn.pad_packed_sequence(module.call(nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted: c.GetProperty("enforce_sorted").GetBoolean()), p)).padded;
        var next = torch.randn(3);
        (output * weights).sum().backward();

        var draws = train && p > 0;
        if (draws)
        {
            // Any mask: one (1, N, H) draw, 0 or 1 / (1 - p) per (sequence, feature) at every step, and the gradient its.
            var (n, h) = (x.shape[batchFirst ? 0 : 1], x.shape[2]);
            Assert.That(Values(next), Is.EqualTo(Values(AfterDraw(c, [1, n, h], p))), "the generator moved by one (1, N, H) Bernoulli draw");
            var timeMajor = (Tensor t) => batchFirst ? t.transpose(0, 1) : t;
            var valid = Valid(x.shape[batchFirst ? 1 : 0], n, lengths);
            var mask = timeMajor(output)[0].ne(0).to(ScalarType.Float32) / (1 - p); // (N, H); randn input is never 0
            Close(timeMajor(output), mask * timeMajor(x.detach()) * valid, "output, from the mask it shows");
            Close(timeMajor(x.grad!), mask * timeMajor(weights) * valid, "input grad, from the mask the output shows");
        }
        if (!draws || DrawPath.MatchesFixtures)
        {
            Expect.Close(output, Record(c, "output"), 1e-6, "output");
            Expect.Close(Values(x.grad!), Doubles(c, "input_grad"), 1e-6, "input grad");
            Assert.That(Values(next), Is.EqualTo(Doubles(c, "next_randn")), "the generator's position after the forward");
        }
        else TestContext.Out.WriteLine($"{name}: mask-dependent numbers not compared with awd's ({DrawPath.Why})");
    }

    [Test]
    public void Forward_EvalOrNoDropout_IsIdentityAndDrawsNothing()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(5, 3, 4);
        var packed = nn.utils.rnn.pack_padded_sequence(x, [5, 2, 4], enforce_sorted: false);
        var module = nn.LockedDropout();
        foreach (var (train, p) in new[] { (false, 0.5), (true, 0.0) })
        {
            module.train(train);
            torch.manual_seed(7);
            var output = module.call(x, p);
            var same = module.call(packed, p);
            var next = Values(torch.randn(3));
            torch.manual_seed(7);
            Assert.That(next, Is.EqualTo(Values(torch.randn(3))), $"train={train}, p={p}: no draw");
            Assert.That(Values(output), Is.EqualTo(Values(x)), $"train={train}, p={p}: the input's values");
            Assert.That(same, Is.SameAs(packed), $"train={train}, p={p}: the packed input itself, as PyTorch returns it");
        }
    }

    [Test]
    public void Forward_DropoutOne_GivesZerosNotNaN()
    {
        using var scope = torch.NewDisposeScope();
        var output = nn.LockedDropout().call(torch.randn(5, 3, 4), 1.0);
        Assert.That(output.count_nonzero().item<long>(), Is.Zero);
    }

    [Test]
    public void Forward_BatchFirst_SharesOneMaskAcrossTheTimeAxis()
    {
        using var scope = torch.NewDisposeScope();
        var output = nn.LockedDropout(batch_first: true).call(torch.ones(3, 7, 4), 0.5); // (N, L, H)
        Assert.That(output.eq(output[.., 0..1]).all().item<bool>(), Is.True, "every step equals the first");
        Assert.That(output.eq(0).logical_or(output.eq(2)).all().item<bool>(), Is.True, "0 or 1 / (1 - p)");
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void Forward_BadDropout_ThrowsPyTorchsMessageBeforeAnyNativeCall(double p)
    {
        // Disposed arguments: a native call on them would throw something else first.
        var x = torch.randn(5, 3, 4);
        var packed = nn.utils.rnn.pack_padded_sequence(x, [5, 4, 2]);
        x.Dispose();
        packed.Dispose();
        var embed = torch.nn.Embedding(10, 4);
        embed.Dispose();
        var module = nn.LockedDropout();
        var message = $"dropout probability has to be between 0 and 1, but got {Py.repr(p)}";
        Assert.That(() => module.call(x, p), Throws.InstanceOf<ArgumentException>().With.Message.StartsWith(message));
        Assert.That(() => module.call(packed, p), Throws.InstanceOf<ArgumentException>().With.Message.StartsWith(message));
        Assert.That(() => nn.functional.embedded_dropout(embed, x, p), Throws.InstanceOf<ArgumentException>().With.Message.StartsWith(message));
    }

    [Test]
    public void Repr_IsAwdsModulesWithNonDefaultOptions()
    {
        Assert.That(Py.repr(nn.LockedDropout()), Is.EqualTo("LockedDropout()"));
        Assert.That(nn.LockedDropout(batch_first: true).ToString(), Is.EqualTo("LockedDropout(batch_first=True)"));
    }

    // ---- embedded_dropout ----------------------------------------------------------------------------------------

    [TestCaseSource(nameof(EmbeddingCases))]
    public void EmbeddedDropout_Case_MatchesAwdLstm(string name)
    {
        using var scope = torch.NewDisposeScope();
        var c = Case("embedded_dropout", name);
        var p = c.GetProperty("dropout").GetDouble();
        var rows = c.GetProperty("num_embeddings").GetInt64();
        long? padding = c.GetProperty("padding_idx").ValueKind == JsonValueKind.Null ? null : c.GetProperty("padding_idx").GetInt64();
        var embed = torch.nn.Embedding(rows, c.GetProperty("embedding_dim").GetInt64(), padding_idx: padding);
        using (torch.no_grad()) embed.weight!.copy_(Record(c, "weight").ToTensor(ScalarType.Float32, torch.CPU));
        var words = torch.tensor(c.GetProperty("words").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetInt64())).ToArray(), [5, 3]);
        var scale = c.GetProperty("scale").ValueKind == JsonValueKind.Null ? null : Record(c, "scale").ToTensor(ScalarType.Float32, torch.CPU, requiresGrad: true);
        var weights = Record(c, "loss_weights").ToTensor(ScalarType.Float32, torch.CPU);

        torch.manual_seed(c.GetProperty("forward_seed").GetInt64());
        var output = nn.functional.embedded_dropout(embed, words, p, scale, padding);
        var next = torch.randn(3);
        (output * weights).sum().backward();

        if (p > 0)
        {
            Assert.That(Values(next), Is.EqualTo(Values(AfterDraw(c, [rows, 1], p))), "the generator moved by one (V, 1) Bernoulli draw");
            // Any mask: the rows the output shows kept, by a lookup written as a one-hot product (not index_select).
            var kept = torch.zeros(rows, 1).index_put_(output.ne(0).any(-1).to(ScalarType.Float32).reshape(-1, 1), words.reshape(-1));
            var weight = embed.weight!.detach().clone().requires_grad_();
            var scaleCopy = scale?.detach().clone().requires_grad_();
            var reference = Lookup(words, kept / (1 - p) * weight, scaleCopy, padding);
            (reference * weights).sum().backward();
            Close(output, reference, "output, from the mask it shows");
            Close(embed.weight!.grad!, weight.grad!, "weight grad, from the mask the output shows");
            if (scale is not null) Close(scale.grad!, scaleCopy!.grad!, "scale grad, from the mask the output shows");
        }
        if (p == 0 || DrawPath.MatchesFixtures)
        {
            Expect.Close(output, Record(c, "output"), 1e-6, "output");
            Expect.Close(Values(embed.weight!.grad!), Doubles(c, "weight_grad"), 1e-6, "weight grad");
            if (scale is not null) Expect.Close(Values(scale.grad!), Doubles(c, "scale_grad"), 1e-6, "scale grad");
            Assert.That(Values(next), Is.EqualTo(Doubles(c, "next_randn")), "the generator's position after the call");
        }
        else TestContext.Out.WriteLine($"{name}: mask-dependent numbers not compared with awd's ({DrawPath.Why})");
        if (padding is { } row) Assert.That(embed.weight!.grad![row].count_nonzero().item<long>(), Is.Zero, "no gradient for padding_idx");
    }

    [Test]
    public void EmbeddedDropout_NegativePaddingIdx_CountsFromTheEnd()
    {
        using var scope = torch.NewDisposeScope();
        var embed = torch.nn.Embedding(10, 4);
        var words = torch.tensor(new long[] { 9, 9, 3 });
        nn.functional.embedded_dropout(embed, words, 0, padding_idx: -1).sum().backward();
        Assert.That(embed.weight!.grad![9].count_nonzero().item<long>(), Is.Zero, "row 9 is padding");
        Assert.That(embed.weight!.grad![3].count_nonzero().item<long>(), Is.EqualTo(4));
        Assert.That(() => nn.functional.embedded_dropout(embed, words, 0, padding_idx: 10),
            Throws.InstanceOf<ArgumentException>().With.Message.StartsWith("Padding_idx must be within num_embeddings"));
    }

    // ---- AR and TAR ----------------------------------------------------------------------------------------------

    [TestCaseSource(nameof(ArTarCases))]
    public void ArTar_Case_MatchesAwdLstm(string name)
    {
        using var scope = torch.NewDisposeScope();
        var c = Case("ar_tar", name);
        var dropped = Record(c, "dropped").ToTensor(ScalarType.Float32, torch.CPU, requiresGrad: true);
        var raw = Record(c, "raw").ToTensor(ScalarType.Float32, torch.CPU, requiresGrad: true);
        var ar = nn.functional.activation_regularization(dropped, c.GetProperty("alpha").GetDouble());
        var tar = nn.functional.temporal_activation_regularization(raw, c.GetProperty("beta").GetDouble());
        (ar + tar).backward();
        Assert.That(ar.shape, Is.Empty, "AR is a scalar");
        Assert.That(ar.item<float>(), Is.EqualTo((float)c.GetProperty("ar").GetDouble()), "ar");
        Assert.That(tar.item<float>(), Is.EqualTo((float)c.GetProperty("tar").GetDouble()), "tar");
        Expect.Close(Values(dropped.grad!), Doubles(c, "dropped_grad"), 1e-6, "dropped grad");
        Expect.Close(Values(raw.grad!), Doubles(c, "raw_grad"), 1e-6, "raw grad");
    }

    [Test]
    public void TemporalActivationRegularization_BatchFirst_DiffersAlongDimOne()
    {
        using var scope = torch.NewDisposeScope();
        var raw = torch.randn(5, 3, 4);
        var timeMajor = nn.functional.temporal_activation_regularization(raw, 1.5);
        var batchFirst = nn.functional.temporal_activation_regularization(raw.transpose(0, 1), 1.5, batch_first: true);
        Assert.That(batchFirst.item<float>(), Is.EqualTo(timeMajor.item<float>()));
        Assert.That(() => nn.functional.temporal_activation_regularization(torch.randn(4), 1, batch_first: true),
            Throws.InstanceOf<ArgumentException>());
    }

    // ---- memory --------------------------------------------------------------------------------------------------

    /// <summary>
    /// Live tensors come back exactly; resident memory may grow by allocator noise (up to some 40 MB in a fresh test
    /// process here) but not by what a leak costs: one leaked (L, N, H) tensor a call is 358 MB over these calls, one
    /// leaked weight-sized mask product 1 GB.
    /// </summary>
    [Test]
    public void Regularizers_ManyCallsInDisposeScopes_LeaveNoLiveTensorsAndMemoryStaysFlat()
    {
        using var threads = new OneIntraOpThread();
        using var module = nn.LockedDropout();
        using var embed = torch.nn.Embedding(2000, 128);
        using var x = torch.randn(35, 20, 128, requires_grad: true);
        using var words = torch.randint(0, 2000, [35, 20]);
        using var scale = torch.randn(1, 128, requires_grad: true);
        using var lengths = torch.tensor(Enumerable.Range(0, 20).Select(i => 35L - i).ToArray());

        void Step()
        {
            using var scope = torch.NewDisposeScope();
            var packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted: false);
            var dropped = module.call(x, 0.5);
            var emb = nn.functional.embedded_dropout(embed, words, 0.1, scale, padding_idx: 0);
            var loss = nn.functional.activation_regularization(dropped, 2) + nn.functional.temporal_activation_regularization(x, 1)
                       + module.call(packed, 0.3).data.sum() + emb.sum();
            loss.backward();
        }

        for (var i = 0; i < 100; i++) Step();
        var stats = DisposeScopeManager.Statistics;
        var live = stats.ThreadTotalLiveCount;
        var before = ResidentMemory.Bytes();
        for (var i = 0; i < 1000; i++) Step();
        var after = ResidentMemory.Bytes();
        TestContext.Out.WriteLine($"live tensors {live} -> {stats.ThreadTotalLiveCount}; resident {before >> 20} MB -> {after >> 20} MB");
        Assert.That(stats.ThreadTotalLiveCount, Is.EqualTo(live), "live tensors");
        Assert.That(after - before, Is.LessThan(100L << 20), "resident memory growth (bytes)");
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /// <summary>torch.randn(3) after this machine's draw of one mask of <paramref name="shape"/> at the case's seed.</summary>
    private static Tensor AfterDraw(JsonElement c, long[] shape, double p)
    {
        torch.manual_seed(c.GetProperty("forward_seed").GetInt64());
        torch.empty(shape).bernoulli_(1 - p);
        return torch.randn(3);
    }

    /// <summary>(L, N, 1): 1 where step t of sequence n exists (t &lt; its length), 0 in the padding.</summary>
    private static Tensor Valid(long steps, long batch, long[]? lengths)
        => lengths is null
            ? torch.ones(steps, batch, 1)
            : torch.arange(steps).unsqueeze(1).lt(torch.tensor(lengths).unsqueeze(0)).to(ScalarType.Float32).unsqueeze(2);

    /// <summary>
    /// F.embedding(words, weight * scale, padding_idx) as a one-hot product: the padding row's values looked up, its
    /// gradient not.
    /// </summary>
    private static Tensor Lookup(Tensor words, Tensor weight, Tensor? scale, long? padding)
    {
        var table = scale is null ? weight : scale.expand_as(weight) * weight;
        var hot = torch.nn.functional.one_hot(words, weight.shape[0]).to(ScalarType.Float32); // (5, 3, V)
        if (padding is not { } row) return hot.matmul(table);
        var isPad = torch.zeros(weight.shape[0], 1);
        isPad[row] = torch.ones(1);
        return hot.matmul(table * (1 - isPad)) + hot.matmul(table.detach() * isPad);
    }

    private static void Close(Tensor actual, Tensor expected, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what}: shape");
        Expect.Close(Values(actual), Values(expected), 1e-6, what);
    }

    private static RecordedTensor Record(JsonElement c, string name) => RecordedTensor.From(c.GetProperty(name))!;

    private static double[] Doubles(JsonElement c, string name) => RecordedTensor.Doubles(c.GetProperty(name));

    private static double[] Values(Tensor t) => Expect.Values(t);
}

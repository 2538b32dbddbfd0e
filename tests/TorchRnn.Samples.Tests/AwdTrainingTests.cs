using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TorchRnn.Samples.LanguageModel;
using TorchRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Samples.Tests;

// TrainSequence, also referenced here, has a Trainer and TrainOptions in the enclosing namespace TorchRnn.Samples.
using Trainer = TorchRnn.Samples.LanguageModel.Trainer;
using TrainOptions = TorchRnn.Samples.LanguageModel.TrainOptions;

/// <summary>
/// The WordLanguageModel sample's <c>--model AWD</c> against awd-lstm-lm's own code under PyTorch 1.13.1: the
/// <c>training</c> section of tests/fixtures/awd.json (tests/fixtures/generate_awd.py, its docstring "training"):
/// the initial weights, then two epochs (SGD, then ASGD) batch for batch, the evaluations and the averaged weights.
/// </summary>
[NonParallelizable] // the thread count and the global generator are process-wide
public class AwdTrainingTests
{
    // float32 throughout: LibTorch 2.10 and PyTorch 1.13 sum in other orders, an ulp or two a value, which the 12
    // updates carry on. Here every number stays within 1e-6 (relative for losses and norms, absolute for the sums);
    // the tolerances leave twice to ten times that, far below what one other mask entry or update does (percents).
    private const double LossTolerance = 2e-6;
    private const double GradNormTolerance = 1e-5;
    // A parameter's float64 sum over up to 256 float32 values of 0.1 to 0.5.
    private const double SumTolerance = 1e-5;

    private OneIntraOpThread? _oneThread;

    [OneTimeSetUp]
    public void OneThread() => _oneThread = new OneIntraOpThread();

    [OneTimeTearDown]
    public void RestoreThreads() => _oneThread?.Dispose();

    private static JsonElement Training()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "awd.json")));
        return json.RootElement.GetProperty("training").Clone();
    }

    private static AWDModel Build(JsonElement c, bool dropouts = true)
    {
        double P(string name) => dropouts ? c.GetProperty(name).GetDouble() : 0;
        torch.manual_seed(c.GetProperty("init_seed").GetInt64());
        return new AWDModel(c.GetProperty("ntoken").GetInt64(), c.GetProperty("emsize").GetInt64(), c.GetProperty("nhid").GetInt64(),
            c.GetProperty("nlayers").GetInt64(), P("dropout"), P("dropouth"), P("dropouti"), P("dropoute"), P("wdrop"),
            c.GetProperty("tied").GetBoolean());
    }

    private static Tensor Tokens(JsonElement training, string name) =>
        torch.tensor(training.GetProperty(name).EnumerateArray().Select(e => e.GetInt64()).ToArray());

    private static Dictionary<string, double> Sums(AWDModel model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.to(torch.float64).sum().item<double>());

    private static void AssertSums(Dictionary<string, double> actual, JsonElement expected, string what)
    {
        Assert.That(actual.Keys, Is.EqualTo(expected.EnumerateObject().Select(p => p.Name)), what);
        foreach (var p in expected.EnumerateObject())
            Assert.That(actual[p.Name], Is.EqualTo(p.Value.GetDouble()).Within(SumTolerance), $"{what}: {p.Name}");
    }

    [Test]
    public void Construction_InitSeed_GivesAwdsWeightsNamesAndOrder()
    {
        using var scope = torch.NewDisposeScope();
        var training = Training();

        using var model = Build(training.GetProperty("config"));

        var expected = training.GetProperty("init_params").EnumerateObject().ToArray();
        var actual = model.named_parameters().ToArray();
        Assert.That(actual.Select(p => p.name), Is.EqualTo(expected.Select(p => p.Name)), "awd's named_parameters: the tied decoder.weight once");
        foreach (var (p, (name, parameter)) in expected.Zip(actual))
        {
            Assert.That(parameter.shape, Is.EqualTo(p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64())), name);
            // The same draws from the same generator: the same float32 values, bit for bit.
            Assert.That(parameter.data<float>().ToArray(), Is.EqualTo(p.Value.GetProperty("values").EnumerateArray().Select(e => e.GetSingle())), name);
        }
        var keys = model.state_dict().Keys.ToArray();
        Assert.That(keys, Does.Contain("decoder.weight").And.Contain("rnns.0.module.weight_hh_l0_raw").And.Not.Contain("rnns.0.module.weight_hh_l0"),
            "state_dict: awd's keys (the tied weight under both names, WeightDrop's raw weight instead of the LSTM's)");
    }

    [Test]
    public void Forward_TrainingWithoutDropouts_IsTheEvaluationForward()
    {
        // Holds on any CPU (nothing is drawn): training mode differs from evaluation only by the dropouts and WeightDrop.
        using var scope = torch.NewDisposeScope();
        var training = Training();
        var c = training.GetProperty("config");
        using var model = Build(c);
        using var plain = Build(c, dropouts: false);
        var data = Trainer.Batchify(Tokens(training, "eval_tokens"), c.GetProperty("eval_batch_size").GetInt64());
        var input = data[TensorIndex.Slice(0, 5)];

        model.eval();
        plain.train();
        var evaluated = model.call(input, model.init_hidden(input.size(1)));
        var trained = plain.call(input, plain.init_hidden(input.size(1)));

        Assert.That(trained.output.allclose(evaluated.output, rtol: 1e-6, atol: 1e-6), Is.True);
        Assert.That(evaluated.raw_outputs, Has.Length.EqualTo(3));
        Assert.That(evaluated.outputs.Select(o => o.size(-1)), Is.EqualTo(new[] { 8L, 8L, 6L }), "the last layer has emsize units (tied)");
        for (var l = 0; l < 3; l++)
        {
            Assert.That(trained.hidden[l].h.allclose(evaluated.hidden[l].h, rtol: 1e-6, atol: 1e-6), Is.True, $"h of layer {l}");
            Assert.That(evaluated.outputs[l].allclose(evaluated.raw_outputs[l], rtol: 0, atol: 0), Is.True, $"no locked dropout in eval, layer {l}");
        }
    }

    [Test]
    public void Training_SgdThenAsgd_ReplaysAwdBatchByBatch()
    {
        using var scope = torch.NewDisposeScope();
        var training = Training();
        var c = training.GetProperty("config");
        using var model = Build(c);
        var trainData = Trainer.Batchify(Tokens(training, "train_tokens"), c.GetProperty("batch_size").GetInt64());
        var evalData = Trainer.Batchify(Tokens(training, "eval_tokens"), c.GetProperty("eval_batch_size").GetInt64());
        var o = TrainOptions.Awd with
        {
            Bptt = c.GetProperty("bptt").GetInt64(),
            BatchSize = c.GetProperty("batch_size").GetInt64(),
            Clip = c.GetProperty("clip").GetDouble(),
            Alpha = c.GetProperty("alpha").GetDouble(),
            Beta = c.GetProperty("beta").GetDouble(),
            Lr = c.GetProperty("lr").GetDouble(),
            LogInterval = 1000,
        };
        var wdecay = c.GetProperty("wdecay").GetDouble();
        var parameters = model.parameters().ToArray();
        var view = new PlainView(TextWriter.Null);
        var terms = new List<AwdBatchTerms>();
        var records = new List<BatchRecord>();

        torch.manual_seed(c.GetProperty("train_seed").GetInt64());
        using (var sgd = torch.optim.SGD(parameters, o.Lr, weight_decay: wdecay))
            AwdTrainer.TrainEpoch(model, sgd, parameters, trainData, o, 1, view, records, terms);
        var sgdEval = AwdTrainer.Evaluate(model, evalData, o.Bptt);
        using var asgd = torch.optim.ASGD(parameters, o.Lr, lambd: 0, t0: 0, weight_decay: wdecay);
        AwdTrainer.TrainEpoch(model, asgd, parameters, trainData, o, 2, view, records, terms);
        var finalSums = Sums(model);
        var trained = AwdTrainer.SwapInAverages(asgd, parameters);
        var averagedSums = Sums(model);
        var averagedEval = AwdTrainer.Evaluate(model, evalData, o.Bptt);
        AwdTrainer.Restore(parameters, trained);
        var asgdEval = AwdTrainer.Evaluate(model, evalData, o.Bptt);

        var expected = training.GetProperty("batches").EnumerateArray().ToArray();
        Assert.That(terms, Has.Count.EqualTo(expected.Length));
        Assert.That(records.Select(r => (r.Epoch, r.Batch)), Is.EqualTo(expected.Select(b => (b.GetProperty("epoch").GetInt32(), b.GetProperty("batch").GetInt32()))));
        // What holds for any masks: the terms add up, the raw loss is what is recorded, averaging moved the weights.
        foreach (var (t, r) in terms.Zip(records))
        {
            Assert.That(t.Loss, Is.EqualTo(t.RawLoss + t.Ar + t.Tar).Within(1e-6 * t.Loss));
            Assert.That((r.Loss, r.GradNorm), Is.EqualTo((t.RawLoss, t.GradNorm)));
            Assert.That(t.Ar, Is.GreaterThan(0));
            Assert.That(t.Tar, Is.GreaterThan(0));
        }
        Assert.That(averagedSums, Is.Not.EqualTo(finalSums));
        Assert.That(Sums(model), Is.EqualTo(finalSums), "Restore puts the trained weights back");

        // awd's numbers, where this LibTorch draws the fixture's masks (DrawPath: every CPU but Intel's).
        TestContext.Out.WriteLine(DrawPath.MatchesFixtures ? "draw path matches the fixtures" : DrawPath.Why);
        if (!DrawPath.MatchesFixtures) return;
        for (var i = 0; i < expected.Length; i++)
        {
            var (t, e) = (terms[i], expected[i]);
            var where = $"epoch {e.GetProperty("epoch")} batch {e.GetProperty("batch")}";
            foreach (var (name, value) in new[] { ("raw_loss", t.RawLoss), ("ar", t.Ar), ("tar", t.Tar), ("loss", t.Loss) })
            {
                var x = e.GetProperty(name).GetDouble();
                Assert.That(value, Is.EqualTo(x).Within(LossTolerance * x), $"{name} of {where}");
            }
            var norm = e.GetProperty("grad_norm").GetDouble();
            Assert.That(t.GradNorm, Is.EqualTo(norm).Within(GradNormTolerance * norm), $"grad_norm of {where}");
        }
        foreach (var (name, value) in new[] { ("sgd_eval_loss", sgdEval), ("asgd_averaged_eval_loss", averagedEval), ("asgd_eval_loss", asgdEval) })
        {
            var x = training.GetProperty(name).GetDouble();
            Assert.That(value, Is.EqualTo(x).Within(LossTolerance * x), name);
        }
        AssertSums(finalSums, training.GetProperty("final_param_sums"), "final_param_sums");
        AssertSums(averagedSums, training.GetProperty("averaged_param_sums"), "averaged_param_sums");
    }

    [TestCase(new[] { 5.0, 4.0, 3.0 }, 4.5, 1, true)] // above min(5, 4): the last epoch alone is left out
    [TestCase(new[] { 5.0, 4.0, 3.0 }, 4.5, 2, false)] // below min(5)
    [TestCase(new[] { 5.0, 4.0 }, 6.0, 2, false)] // no more than nonmono epochs yet
    public void NonMonotone_History_AsAwdsTrigger(double[] history, double valLoss, int nonmono, bool expected) =>
        Assert.That(AwdTrainer.NonMonotone(history, valLoss, nonmono), Is.EqualTo(expected));

    [Test]
    public void Main_QuickAwd_TrainsAndSavesAwdsStateDict()
    {
        var save = Path.Combine(TestContext.CurrentContext.WorkDirectory, "awd-quick.pt");

        var (code, printed) = SampleRunner.Run("WordLanguageModel", "--model", "AWD", "--quick", "--epochs", "1", "--save", save);

        Assert.That(code, Is.EqualTo(0), printed);
        Assert.That(printed, Does.Contain("| end of epoch   1 |").And.Contain("| End of training | test loss"));
        using var model = AwdTrainer.Model(TrainOptions.QuickOf(TrainOptions.Awd), 3805);
        var (missing, unexpected) = TorchRnn.Serialization.Checkpoint.load(model, save);
        Assert.That(missing.Concat(unexpected), Is.Empty, "the saved keys are the AWD model's");
    }
}

using System.Linq;
using NUnit.Framework;
using Ports;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Tests.Ports;

/// <summary>
/// Issue 17: one step of PyTorch's word-language-model example with tied weights, against PyTorch's numbers
/// (tests/fixtures/ports.json): the shared tensor is one parameter for <c>parameters()</c>, <c>clip_grad_norm_</c>
/// and the update, and every name is in <c>state_dict()</c>.
/// </summary>
public class TiedWeightsTests
{
    private const int NToken = 50, Bptt = 6, Batch = 3;
    private const double Lr = 20.0;

    [Test]
    public void NamedParameters_TiedWeight_ListedOnceUnderItsFirstName()
    {
        var fixture = PortFixtures.Load("tied_lm");
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var model = new RNNModel(NToken, 16, 16, 2);

        Assert.That(model.named_parameters().Select(p => p.name), Is.EqualTo(PortFixtures.Strings(fixture.GetProperty("named_parameters"))));
        Assert.That(model.parameters().Count(), Is.EqualTo(10));
        Assert.That(model.state_dict().Keys, Is.EqualTo(PortFixtures.Strings(fixture.GetProperty("state_dict"))));
        Assert.That(model.named_parameters(remove_duplicate: false).Select(p => p.name),
            Is.EqualTo(PortFixtures.Strings(fixture.GetProperty("state_dict"))));
        // Through TorchSharp's base type (as an optimiser or clip_grad_norm_ holding a torch.nn.Module sees it) too.
        torch.nn.Module plain = model;
        Assert.That(plain.parameters().Count(), Is.EqualTo(10));
    }

    [Test]
    public void TrainingStep_HandWrittenUpdate_MatchesPyTorchsNormAndParameters()
    {
        var fixture = PortFixtures.Load("tied_lm");
        using var scope = torch.NewDisposeScope();
        var (model, loss, norm) = Step();

        foreach (var p in model.parameters())
        {
            p.detach().add_(p.grad!, alpha: -Lr); // PyTorch's p.data.add_(p.grad, alpha=-lr)
        }

        Assert.That(loss, Is.EqualTo(fixture.GetProperty("loss").GetDouble()).Within(1e-5));
        Assert.That(norm, Is.EqualTo(fixture.GetProperty("grad_norm").GetDouble()).Within(1e-6));
        AssertParameters(model, fixture.GetProperty("after"));
    }

    [Test]
    public void TrainingStep_SgdOverParameters_StepsTheTiedTensorOnce()
    {
        var fixture = PortFixtures.Load("tied_lm");
        using var scope = torch.NewDisposeScope();
        var (model, _, _) = Step();
        var optimizer = torch.optim.SGD(model.parameters(), Lr);

        optimizer.step();

        AssertParameters(model, fixture.GetProperty("after"));
    }

    [Test]
    public void PlainTorchSharpModule_TiedWeight_ListedUnderEachName()
    {
        // What the README says of TorchSharp's own Module: every name, so the tied tensor would be stepped twice.
        using var scope = torch.NewDisposeScope();
        var encoder = torch.nn.Embedding(10, 4);
        var decoder = torch.nn.Linear(4, 10);
        decoder.weight = encoder.weight!;
        var plain = torch.nn.Sequential(("encoder", encoder), ("decoder", decoder));

        Assert.That(plain.named_parameters().Select(p => p.name), Is.EqualTo(new[] { "encoder.weight", "decoder.weight", "decoder.bias" }));
    }

    private static (RNNModel Model, double Loss, double Norm) Step()
    {
        torch.manual_seed(1);
        var model = new RNNModel(NToken, 16, 16, 2);
        var data = torch.randint(0, NToken, [Bptt, Batch]);
        var targets = torch.randint(0, NToken, [Bptt * Batch]);
        var hidden = (torch.zeros(2, Batch, 16), torch.zeros(2, Batch, 16));
        model.zero_grad();
        var (output, _) = model.call(data, hidden);
        var loss = nn.NLLLoss().call(output, targets);
        loss.backward();
        var norm = nn.utils.clip_grad_norm_(model.parameters(), 0.25);
        return (model, loss.item<float>(), norm);
    }

    private static void AssertParameters(RNNModel model, System.Text.Json.JsonElement after)
    {
        foreach (var (name, parameter) in model.named_parameters())
        {
            var expected = after.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var actual = parameter.detach().reshape(-1).to(float64).data<double>().ToArray();
            Assert.That(actual, Is.EqualTo(expected).Within(1e-5), name);
        }
    }
}

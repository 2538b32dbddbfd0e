using System.Linq;
using NUnit.Framework;
using TorchRnn.Tests.Support;
using TorchSharp;

namespace TorchRnn.Tests;

public class RNNTests
{
    [Test]
    public void ToString_EveryNonDefaultOption_ListsThemInPyTorchOrder()
    {
        using var rnn = nn.RNN(5, 6, 2, "relu", bias: false, batch_first: true, dropout: 1, bidirectional: true);
        Assert.That(rnn.ToString(), Is.EqualTo("RNN(5, 6, num_layers=2, bias=False, batch_first=True, dropout=1.0, bidirectional=True)"));
        using var quarter = nn.RNN(5, 6, 2, dropout: 0.25);
        Assert.That(quarter.ToString(), Is.EqualTo("RNN(5, 6, num_layers=2, dropout=0.25)"));
    }

    [Test]
    public void NamedParameters_BidirectionalTwoLayers_PyTorchNamesShapesAndOrder()
    {
        using var rnn = nn.RNN(5, 6, 2, bidirectional: true);
        var expected = new (string, long[])[]
        {
            ("weight_ih_l0", [6, 5]), ("weight_hh_l0", [6, 6]), ("bias_ih_l0", [6]), ("bias_hh_l0", [6]),
            ("weight_ih_l0_reverse", [6, 5]), ("weight_hh_l0_reverse", [6, 6]), ("bias_ih_l0_reverse", [6]), ("bias_hh_l0_reverse", [6]),
            ("weight_ih_l1", [6, 12]), ("weight_hh_l1", [6, 6]), ("bias_ih_l1", [6]), ("bias_hh_l1", [6]),
            ("weight_ih_l1_reverse", [6, 12]), ("weight_hh_l1_reverse", [6, 6]), ("bias_ih_l1_reverse", [6]), ("bias_hh_l1_reverse", [6]),
        };
        var actual = rnn.named_parameters().Select(p => (p.name, p.parameter.shape)).ToArray();
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(rnn.state_dict().Keys, Is.EqualTo(expected.Select(e => e.Item1)));
    }

    [Test]
    public void NamedParameters_NoBias_OnlyWeights()
    {
        using var rnn = nn.RNN(3, 4, 2, bias: false);
        Assert.That(rnn.named_parameters().Select(p => p.name),
            Is.EqualTo(new[] { "weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1" }));
    }

    [Test]
    public void Properties_MirrorConstructorArguments()
    {
        using var rnn = nn.RNN(5, 6, 2, "relu", false, true, 0.5, true);
        Assert.Multiple(() =>
        {
            Assert.That(rnn.input_size, Is.EqualTo(5));
            Assert.That(rnn.hidden_size, Is.EqualTo(6));
            Assert.That(rnn.num_layers, Is.EqualTo(2));
            Assert.That(rnn.nonlinearity, Is.EqualTo("relu"));
            Assert.That(rnn.bias, Is.False);
            Assert.That(rnn.batch_first, Is.True);
            Assert.That(rnn.dropout, Is.EqualTo(0.5));
            Assert.That(rnn.bidirectional, Is.True);
        });
    }

    [TestCaseSource(typeof(Devices), nameof(Devices.Names))]
    public void Forward_DefaultHx_EqualsExplicitZeros(string deviceName)
    {
        var device = torch.device(deviceName);
        using var scope = torch.NewDisposeScope();
        var rnn = nn.RNN(5, 6, 2, bidirectional: true, device: device);
        var x = torch.randn(4, 3, 5, device: device);
        var (o1, h1) = rnn.call(x);
        var (o2, h2) = rnn.call(x, torch.zeros(4, 3, 6, device: device));
        Assert.That(o1.allclose(o2, 0, 0) && h1.allclose(h2, 0, 0), Is.True);
        Assert.That(o1.device_type, Is.EqualTo(device.type));
    }
}

using System.Linq;
using NUnit.Framework;

namespace TorchRnn.Tests;

public class RNNCellTests
{
    [Test]
    public void ToString_NoBiasRelu_PrintsNonlinearityWithoutQuotes()
    {
        using var cell = nn.RNNCell(3, 2, bias: false, nonlinearity: "relu");
        Assert.That(cell.ToString(), Is.EqualTo("RNNCell(3, 2, bias=False, nonlinearity=relu)"));
    }

    [Test]
    public void NamedParameters_PyTorchNamesAndShapes()
    {
        using var cell = nn.RNNCell(3, 2);
        Assert.That(cell.named_parameters().Select(p => (p.name, p.parameter.shape)).ToArray(), Is.EqualTo(new (string, long[])[]
        {
            ("weight_ih", [2, 3]), ("weight_hh", [2, 2]), ("bias_ih", [2]), ("bias_hh", [2]),
        }));
    }

    [Test]
    public void Properties_MirrorConstructorArguments()
    {
        using var cell = nn.RNNCell(3, 2, false, "relu");
        Assert.Multiple(() =>
        {
            Assert.That(cell.input_size, Is.EqualTo(3));
            Assert.That(cell.hidden_size, Is.EqualTo(2));
            Assert.That(cell.bias, Is.False);
            Assert.That(cell.nonlinearity, Is.EqualTo("relu"));
        });
    }
}

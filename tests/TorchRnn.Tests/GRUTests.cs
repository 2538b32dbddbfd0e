using System.Linq;
using NUnit.Framework;

namespace TorchRnn.Tests;

public class GRUTests
{
    [Test]
    public void NamedParameters_TwoLayers_PyTorchNamesAndShapes()
    {
        using var gru = nn.GRU(5, 6, 2);
        Assert.That(gru.named_parameters().Select(p => (p.name, p.parameter.shape)).ToArray(), Is.EqualTo(new (string, long[])[]
        {
            ("weight_ih_l0", [18, 5]), ("weight_hh_l0", [18, 6]), ("bias_ih_l0", [18]), ("bias_hh_l0", [18]),
            ("weight_ih_l1", [18, 6]), ("weight_hh_l1", [18, 6]), ("bias_ih_l1", [18]), ("bias_hh_l1", [18]),
        }));
    }

    [Test]
    public void ToString_Options_PrintsPyTorchRepr()
    {
        using var gru = nn.GRU(5, 6, 2, batch_first: true);
        using var cell = nn.GRUCell(3, 2, bias: false);
        using var lstmCell = nn.LSTMCell(3, 2);
        Assert.That((gru.ToString(), cell.ToString(), lstmCell.ToString()), Is.EqualTo(("GRU(5, 6, num_layers=2, batch_first=True)", "GRUCell(3, 2, bias=False)", "LSTMCell(3, 2)")));
    }
}

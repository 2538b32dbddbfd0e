using System.Linq;
using NUnit.Framework;
using TorchSharp;

namespace TorchRnn.Tests;

public class LSTMTests
{
    [Test]
    public void NamedParameters_BidirectionalProjected_PyTorchNamesShapesAndOrder()
    {
        using var lstm = nn.LSTM(3, 5, 2, bidirectional: true, proj_size: 2);
        var expected = new (string, long[])[]
        {
            ("weight_ih_l0", [20, 3]), ("weight_hh_l0", [20, 2]), ("bias_ih_l0", [20]), ("bias_hh_l0", [20]), ("weight_hr_l0", [2, 5]),
            ("weight_ih_l0_reverse", [20, 3]), ("weight_hh_l0_reverse", [20, 2]), ("bias_ih_l0_reverse", [20]), ("bias_hh_l0_reverse", [20]), ("weight_hr_l0_reverse", [2, 5]),
            ("weight_ih_l1", [20, 4]), ("weight_hh_l1", [20, 2]), ("bias_ih_l1", [20]), ("bias_hh_l1", [20]), ("weight_hr_l1", [2, 5]),
            ("weight_ih_l1_reverse", [20, 4]), ("weight_hh_l1_reverse", [20, 2]), ("bias_ih_l1_reverse", [20]), ("bias_hh_l1_reverse", [20]), ("weight_hr_l1_reverse", [2, 5]),
        };
        Assert.That(lstm.named_parameters().Select(p => (p.name, p.parameter.shape)).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Forward_Projected_StateShapesFollowProjSizeAndHiddenSize()
    {
        using var scope = torch.NewDisposeScope();
        var lstm = nn.LSTM(5, 6, 2, proj_size: 3);
        var (output, (hn, cn)) = lstm.call(torch.randn(1, 3, 5));
        Assert.That((output.shape, hn.shape, cn.shape), Is.EqualTo((new long[] { 1, 3, 3 }, new long[] { 2, 3, 3 }, new long[] { 2, 3, 6 })));
        Assert.That(lstm.proj_size, Is.EqualTo(3));
    }

    [Test]
    public void ToString_Projected_PrintsPyTorchRepr()
    {
        using var lstm = nn.LSTM(5, 6, proj_size: 3);
        using var all = nn.LSTM(5, 6, 2, bias: false, batch_first: true, dropout: 0.5, bidirectional: true, proj_size: 3);
        Assert.That(lstm.ToString(), Is.EqualTo("LSTM(5, 6, proj_size=3)"));
        Assert.That(all.ToString(), Is.EqualTo("LSTM(5, 6, proj_size=3, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)"));
    }

    [Test]
    public void To_Float64_ProjectedAndNativeBothRunInFloat64()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var lstm in new[] { nn.LSTM(5, 6, 2), nn.LSTM(5, 6, 2, proj_size: 3) })
        {
            lstm.to(torch.ScalarType.Float64);
            var (output, (hn, cn)) = lstm.call(torch.randn(2, 1, 5, dtype: torch.ScalarType.Float64));
            Assert.That(new[] { output.dtype, hn.dtype, cn.dtype }, Is.All.EqualTo(torch.ScalarType.Float64));
        }
    }
}

using System.Linq;
using NUnit.Framework;
using TorchSharp;

namespace TorchRnn.Tests.Training;

/// <summary>The training loop of the README with TorchSharp's optimisers and clipping on TorchRnn's modules.</summary>
public class TrainingLoopTests
{
    /// <summary>Trains a GRU and a linear read-out to output the sum of its inputs; returns every step's loss.</summary>
    private static double[] TrainTiny(int steps)
    {
        torch.manual_seed(0);
        var gru = nn.GRU(2, 8);
        var head = torch.nn.Linear(8, 1);
        var optimizer = torch.optim.Adam(gru.parameters().Concat(head.parameters()), 0.05);
        var losses = new double[steps];
        for (var step = 0; step < steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            var x = torch.rand(6, 16, 2);
            var target = x.sum([0, 2]).unsqueeze(1);
            var (output, _) = gru.call(x);
            var loss = torch.nn.functional.mse_loss(head.call(output[-1]), target);
            optimizer.zero_grad();
            loss.backward();
            torch.nn.utils.clip_grad_norm_(gru.parameters().Concat(head.parameters()), 1.0);
            optimizer.step();
            losses[step] = loss.item<float>();
        }
        return losses;
    }

    [Test]
    public void Train_SeededTinyRun_LossFalls()
    {
        var losses = TrainTiny(60);

        Assert.That(losses.Skip(50).Average(), Is.LessThan(losses.Take(10).Average() / 5));
    }

    [Test]
    public void Train_SameSeed_SameLosses()
    {
        var first = TrainTiny(10);
        var second = TrainTiny(10);

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void ClipGradNorm_ExplodingRnn_BoundsTheTotalNorm()
    {
        torch.manual_seed(0);
        var rnn = nn.RNN(4, 16, nonlinearity: "relu");
        using (torch.no_grad()) rnn.get_parameter("weight_hh_l0")!.mul_(8);
        var (output, _) = rnn.call(torch.rand(30, 2, 4));
        output[-1].sum().backward();

        var before = torch.nn.utils.clip_grad_norm_(rnn.parameters(), 1.0);
        var after = torch.nn.utils.clip_grad_norm_(rnn.parameters(), double.PositiveInfinity);

        Assert.That(before, Is.GreaterThan(1000));
        Assert.That(after, Is.EqualTo(1.0).Within(1e-4));
    }

    [Test]
    public void WeightDecay_NoLossGradient_ShrinksWeightsByLrTimesDecay()
    {
        torch.manual_seed(0);
        var lstm = nn.LSTM(3, 5);
        var weight = lstm.get_parameter("weight_hh_l0")!;
        var initial = weight.detach().clone();
        var optimizer = torch.optim.SGD(lstm.parameters(), 0.1, weight_decay: 0.5);
        var (output, _) = lstm.call(torch.randn(4, 2, 3));

        (output.sum() * 0).backward(); // gradients are zero: only the L2 penalty moves the weights
        optimizer.step();

        Assert.That(weight.allclose(initial * (1 - 0.1 * 0.5), rtol: 1e-6, atol: 1e-7), Is.True);
        Assert.That(weight.norm().item<float>(), Is.LessThan(initial.norm().item<float>()));
    }
}

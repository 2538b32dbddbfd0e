using NUnit.Framework;
using TorchRnn.Tests.Support;

namespace TorchRnn.Samples.Tests;

[NonParallelizable] // it writes to Console.Out
public class VariableLengthTests
{
    [Test]
    public void Main_Seed0_LearnsTheTaskAndPackedEqualsAlone()
    {
        var (code, output) = SampleRunner.Run("VariableLength", "--seed", "0");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("batch_sizes: tensor([3, 2, 2, 1]) sorted_indices: tensor([0, 2, 1])")
            .And.Contain("accuracy on 500 new sequences").And.Contain("packed batch vs each sequence alone"));
    }
}

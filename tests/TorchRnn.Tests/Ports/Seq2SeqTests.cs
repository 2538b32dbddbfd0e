using System.IO;
using System.Linq;
using NUnit.Framework;

namespace TorchRnn.Tests.Ports;

/// <summary>
/// Issue 26: PyTorch's seq2seq-with-attention tutorial (EncoderRNN, BahdanauAttention, AttnDecoderRNN; Adam and
/// NLLLoss through one optim and one nn) ported with the README's usings prints what PyTorch printed
/// (tests/fixtures/Seq2Seq.txt, written by tests/fixtures/seq2seq.py under PyTorch 1.13.1).
/// </summary>
public class Seq2SeqTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../.."));

    [Test]
    public void Seq2SeqTutorial_TwentyAdamSteps_PrintsPyTorchsLossesAndDecode()
    {
        var expected = File.ReadAllLines(Path.Combine(Root, "tests/fixtures/Seq2Seq.txt"));

        var printed = global::Ports.Seq2Seq.Run().ToArray();

        Assert.That(printed, Is.EqualTo(expected));
    }
}

namespace TorchRnn;

/// <summary>
/// PyTorch's <c>torch.nn</c> recurrent factories. With <c>using nn = TorchRnn.nn;</c> a line of PyTorch such as
/// <c>rnn = nn.RNN(5, 6, 2)</c> ports as <c>var rnn = nn.RNN(5, 6, 2);</c>.
/// </summary>
/// <remarks>Each factory lives beside its module class, in that module's file.</remarks>
public static partial class nn
{
}

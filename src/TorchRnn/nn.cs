namespace TorchRnn;

/// <summary>
/// PyTorch's <c>torch.nn</c> for recurrent models: TorchRnn's recurrent layers (<c>RNN</c>, <c>LSTM</c>, <c>GRU</c>,
/// their cells, <c>RNNBase</c>) and packing (<c>utils.rnn</c>), and the rest of TorchSharp's <c>torch.nn</c> (layers,
/// <c>functional</c>, <c>init</c>, <c>utils</c>, enum values, <c>Module&lt;...&gt;</c> bases), so one <c>nn</c> ports a
/// whole model: <c>rnn = nn.LSTM(16, 32, 2)</c> is <c>var rnn = nn.LSTM(16, 32, 2);</c>.
/// </summary>
/// <remarks>
/// Each TorchRnn factory lives beside its module class, in that module's file. The TorchSharp part is written at build
/// time by src/TorchRnn.Generators from TorchSharp's metadata (nn.TorchSharp.g.cs): a forwarder for every member of
/// <c>torch.nn</c> that TorchRnn does not declare itself. Put <c>using TorchRnn;</c> inside your namespace, below
/// TorchSharp's usings, so that <c>nn</c> is this class without an alias (README, "One nn").
/// </remarks>
public static partial class nn
{
}

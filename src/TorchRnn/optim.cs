namespace TorchRnn;

/// <summary>
/// PyTorch's <c>torch.optim</c>: TorchRnn's <c>LBFGS</c> (PyTorch's algorithm and defaults, and a closure may return
/// its loss as in Python), and every other optimiser and learning-rate scheduler of TorchSharp's <c>torch.optim</c>
/// (<c>Adam</c>, <c>SGD</c>, <c>lr_scheduler.StepLR</c>, ...), so one <c>optim</c> ports a training loop.
/// </summary>
/// <remarks>
/// TorchRnn's own members live beside their classes (<c>LBFGS</c> in Optim/LBFGS.cs). The TorchSharp part is written
/// at build time by src/TorchRnn.Generators from TorchSharp's metadata (optim.TorchSharp.g.cs), as for <c>nn</c>:
/// a forwarder for every static member of <c>torch.optim</c> and <c>torch.optim.lr_scheduler</c> that TorchRnn does
/// not declare itself. Optimiser and scheduler types (<c>TorchSharp.Modules.Adam</c>,
/// <c>torch.optim.lr_scheduler.LRScheduler</c>) are TorchSharp's: C# cannot re-export a type.
/// </remarks>
public static partial class optim
{
}

namespace TorchRnn;

/// <summary>
/// A module with PyTorch's <c>extra_repr</c>: the options that <see cref="Py.repr(object?)"/> prints between the
/// parentheses after the module's name, before its children (<c>LSTM(5, 6, num_layers=2)</c>). TorchRnn's layers
/// implement it; implement it on your own modules to give them the repr their PyTorch twins print.
/// </summary>
/// <example>
/// <code>
/// sealed class Scale(double factor) : nn.Module&lt;Tensor, Tensor&gt;("Scale"), IExtraRepr
/// {
///     public override Tensor forward(Tensor x) => x * factor;
///     public string extra_repr() => $"factor={Py.repr(factor)}"; // Py.repr(new Scale(2)) == "Scale(factor=2.0)"
/// }
/// </code>
/// </example>
public interface IExtraRepr
{
    /// <summary>The module's options, as PyTorch's <c>extra_repr</c> lists them; empty for none.</summary>
    /// <returns>For example <c>5, 6, num_layers=2</c>; several lines print one per line.</returns>
    string extra_repr();
}

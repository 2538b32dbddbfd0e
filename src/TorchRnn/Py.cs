using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using TorchRnn.Printing;
using TorchSharp;
using TorchSharp.Modules;

namespace TorchRnn;

/// <summary>
/// Python's <c>repr</c> and <c>print</c> for TorchSharp values, so a C# program prints what the equivalent
/// PyTorch script prints and the two outputs can be compared line by line.
/// </summary>
/// <remarks>
/// Tensors follow PyTorch 2.x's default print options; see <see cref="repr(object?)"/> for every supported case.
/// The names are lower-case on purpose, mirroring Python's built-ins.
/// </remarks>
public static class Py
{
    /// <summary>Python's <c>repr(value)</c> for the values a PyTorch script prints.</summary>
    /// <param name="value">The value to describe.</param>
    /// <returns>
    /// <list type="bullet">
    /// <item><see cref="torch.Tensor"/>: PyTorch's tensor repr, e.g. <c>tensor([1.5000, 2.0000])</c>, with PyTorch's
    /// layout, summarisation and suffixes (<c>dtype=</c>, <c>device=</c>, <c>requires_grad=True</c>). A
    /// <see cref="TorchSharp.Modules.Parameter"/> starts with the line <c>Parameter containing:</c>. TorchSharp cannot
    /// name a result's autograd node, so where PyTorch prints <c>grad_fn=&lt;Name&gt;</c> nothing is printed.</item>
    /// <item><see cref="long"/><c>[]</c> (a shape such as <c>tensor.shape</c>): <c>torch.Size([1, 3, 6])</c>; empty: <c>torch.Size([])</c>.</item>
    /// <item><see cref="torch.nn.Module"/>: PyTorch's module repr, the .NET type name then the module's
    /// <c>extra_repr</c> and its children from <c>named_children()</c>, <c>Name(\n  (child): childrepr\n)</c>,
    /// indented 2 per level, or <c>Name(extra)</c> and <c>Name()</c> without children. <c>extra_repr</c> is the
    /// module's own where it implements <see cref="IExtraRepr"/> (TorchRnn's layers do: <c>LSTM(4, 8, num_layers=2)</c>);
    /// TorchSharp's Linear, Dropout, Embedding, LayerNorm and ReLU get PyTorch's (<c>Linear(in_features=4,
    /// out_features=2, bias=True)</c>); other modules have none.</item>
    /// <item><see cref="PackedSequence"/>: PyTorch's namedtuple repr, <c>PackedSequence(data=tensor([1, 4, 6, 2, 5, 3]),
    /// batch_sizes=tensor([3, 2, 1]), sorted_indices=tensor([2, 0, 1]), unsorted_indices=tensor([1, 2, 0]))</c> on one
    /// line, with <c>None</c> for absent indices (its own <see cref="PackedSequence.ToString"/>).</item>
    /// <item><see cref="ITuple"/> (value tuples and tuples): <c>(a, b)</c>, one element <c>(a,)</c>, each element by <c>repr</c>.</item>
    /// <item><see cref="IDictionary"/> (a <c>state_dict()</c> say): Python's dict, <c>{'a': 1, 'b': 2}</c>, in the
    /// dictionary's order; any other <see cref="IEnumerable"/> (arrays other than <see cref="long"/><c>[]</c>, lists):
    /// Python's list, <c>[1, 2]</c>, <c>[]</c>; each element by <c>repr</c>.</item>
    /// <item><see langword="null"/>: <c>None</c>; <see cref="bool"/>: <c>True</c> / <c>False</c>.</item>
    /// <item><see cref="string"/>: quoted as Python quotes it, <c>'text'</c> (<c>"it's"</c> when it holds a single quote).</item>
    /// <item><see cref="double"/> and <see cref="float"/>: Python's float repr, the shortest string that round-trips
    /// (<c>0.1</c>, <c>1.0</c>, <c>1e-05</c>, <c>nan</c>, <c>inf</c>); a float is first widened to double, as
    /// Python holds it, so <c>0.1f</c> prints <c>0.10000000149011612</c>.</item>
    /// <item>Integers of any width: their decimal digits. Anything else: its <see cref="object.ToString"/>.</item>
    /// </list>
    /// </returns>
    /// <example>
    /// <code>
    /// var x = torch.ones(2, 3);
    /// string s = Py.repr(x);        // "tensor([[1., 1., 1.],\n        [1., 1., 1.]])"
    /// string size = Py.repr(x.shape); // "torch.Size([2, 3])"
    /// </code>
    /// </example>
    public static string repr(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => QuoteString(s),
        torch.Tensor tensor => TensorFormatter.Format(tensor),
        long[] shape => "torch.Size([" + string.Join(", ", shape.Select(Integer)) + "])",
        torch.nn.Module module => ModuleRepr(module),
        double d => PythonFloat.Repr(d),
        float f => PythonFloat.Repr(f),
        ITuple tuple => TupleRepr(tuple),
        IDictionary dictionary => DictionaryRepr(dictionary),
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(repr)) + "]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// Python's <c>print(*values)</c>: each value as Python's <c>str</c> (a string as it is, anything else as
    /// <see cref="repr(object?)"/>), joined by one space, then a newline, written to <see cref="Console.Out"/>.
    /// </summary>
    /// <param name="values">The values to print; none prints an empty line.</param>
    /// <example>
    /// <code>
    /// var output = torch.zeros(1, 3, 6);
    /// Py.print("output shape:", output.shape); // output shape: torch.Size([1, 3, 6])
    /// Py.print(output);
    /// </code>
    /// </example>
    public static void print(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Console.Out.Write(string.Join(" ", values.Select(v => v as string ?? repr(v))) + "\n");
    }

    /// <summary>
    /// Python's <c>format(value, spec)</c> for a float: <c>.Nf</c> (fixed), <c>.Ne</c> (scientific, two exponent
    /// digits at least) and <c>.N%</c>, or <c>""</c> for <c>repr</c>; rounded half to even on the exact binary value,
    /// as Python rounds, and the same in every culture.
    /// </summary>
    /// <param name="value">The number.</param>
    /// <param name="spec">The format spec, as after the colon in a Python f-string: <c>.3f</c>, <c>.2e</c>, <c>.1%</c> or empty.</param>
    /// <returns>What Python prints for <c>f"{value:spec}"</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="spec"/> is none of the above.</exception>
    /// <example>
    /// <code>
    /// Py.print("largest difference:", Py.format(1.7881393432617188e-06, ".2e")); // largest difference: 1.79e-06
    /// Py.print(Py.format(0.125, ".2f"), Py.format(0.8765, ".1%"));                  // 0.12 87.7%
    /// </code>
    /// </example>
    public static string format(double value, string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Length == 0)
        {
            return PythonFloat.Repr(value);
        }
        if (spec.Length >= 3 && spec[0] == '.'
            && int.TryParse(spec.AsSpan(1, spec.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var digits))
        {
            switch (spec[^1])
            {
                case 'f': return PythonFloat.Fixed(value, digits);
                case 'e': return PythonFloat.Scientific(value, digits);
                case '%': return PythonFloat.Fixed(value * 100, digits) + "%";
            }
        }
        throw new ArgumentException($"Unsupported float format spec '{spec}': use .Nf, .Ne, .N% or an empty spec.", nameof(spec));
    }

    private static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string DictionaryRepr(IDictionary dictionary)
    {
        var items = new List<string>();
        // IDictionary's own enumerator: a generic dictionary's IEnumerable yields KeyValuePair, not DictionaryEntry.
        var entry = dictionary.GetEnumerator();
        while (entry.MoveNext())
        {
            items.Add(repr(entry.Key) + ": " + repr(entry.Value));
        }
        return "{" + string.Join(", ", items) + "}";
    }

    private static string TupleRepr(ITuple tuple)
    {
        var items = Enumerable.Range(0, tuple.Length).Select(i => repr(tuple[i])).ToArray();
        return items.Length == 1 ? "(" + items[0] + ",)" : "(" + string.Join(", ", items) + ")";
    }

    /// <summary>
    /// PyTorch's <c>Module.__repr__</c>: the type name, then the module's <c>extra_repr</c> and its children, each child
    /// indented.
    /// </summary>
    private static string ModuleRepr(torch.nn.Module module)
    {
        var extra = module is IExtraRepr own ? own.extra_repr() : ExtraRepr(module);
        var lines = (extra.Length == 0 ? [] : extra.Split('\n')).ToList();
        var children = module.named_children()
            .Select(child => "(" + child.name + "): " + IndentFollowingLines(repr(child.module), 2))
            .ToList();
        // A recurrent module is named by its kind (Recurrent is LayerNormLSTM, UserLSTM, ...), as its module name says.
        var name = module is RNNBase or RNNCellBase ? module.GetName() : TypeName(module.GetType());
        if (lines.Count == 1 && children.Count == 0)
        {
            return name + "(" + lines[0] + ")";
        }
        lines.AddRange(children);
        return lines.Count == 0 ? name + "()" : name + "(\n  " + string.Join("\n  ", lines) + "\n)";
    }

    /// <summary>
    /// PyTorch's <c>extra_repr</c> for TorchSharp's common layers, which have none of their own; other modules have
    /// an empty one.
    /// </summary>
    private static string ExtraRepr(torch.nn.Module module) => module switch
    {
        Linear linear => $"in_features={Integer(linear.in_features)}, out_features={Integer(linear.out_features)}, bias={(linear.bias is null ? "False" : "True")}",
        Dropout dropout => $"p={PythonFloat.Repr(dropout.p)}, inplace={(dropout.inplace ? "True" : "False")}",
        Embedding embedding => $"{Integer(embedding.weight!.shape[0])}, {Integer(embedding.weight!.shape[1])}",
        ReLU relu => relu.inplace ? "inplace=True" : "",
        LayerNorm norm => $"{TensorFormatter.PythonTuple(norm.normalized_shape)}, eps={PythonFloat.Repr(norm.eps)}, elementwise_affine={(norm.elementwise_affine ? "True" : "False")}",
        _ => "",
    };

    private static string TypeName(Type type)
    {
        var tick = type.Name.IndexOf('`');
        return tick >= 0 ? type.Name.Substring(0, tick) : type.Name;
    }

    /// <summary>PyTorch's <c>_addindent</c>: every line but the first gains <paramref name="spaces"/> spaces.</summary>
    private static string IndentFollowingLines(string text, int spaces) =>
        text.Replace("\n", "\n" + new string(' ', spaces), StringComparison.Ordinal);

    /// <summary>Python's repr of a str: single quotes unless the text has a single quote and no double quote.</summary>
    private static string QuoteString(string text)
    {
        var quote = text.Contains('\'') && !text.Contains('"') ? '"' : '\'';
        var builder = new StringBuilder().Append(quote);
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when c == quote => "\\" + c,
                _ when c < ' ' || c == '\x7f' => "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return builder.Append(quote).ToString();
    }
}

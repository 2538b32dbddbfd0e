using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Printing;

/// <summary>
/// PyTorch's <c>repr(tensor)</c> with the default print options (precision 4, linewidth 80, threshold 1000,
/// edgeitems 3, sci_mode None), for TorchSharp tensors.
/// </summary>
/// <remarks>
/// <para>Layout: <c>tensor(</c> sets an indent of 7; a row of a 1-D slice holds
/// floor((80 - indent) / (width + 2)) elements; slices of a dimension with d dimensions below are joined by
/// <c>,</c>, d - 1 blank lines and the indent plus one. A tensor of more than 1000 elements is summarised:
/// every dimension longer than 6 shows its first and last 3 entries around <c>...</c>, and the element width is
/// computed over the shown entries only.</para>
/// <para>Suffixes, in PyTorch's order: <c>size=(…)</c> and <c>dtype=…</c> for empty tensors (size unless 1-D,
/// dtype unless float32); <c>device='cuda:0'</c> off the CPU; <c>dtype=torch.…</c> unless float32, int64 or bool;
/// <c>requires_grad=True</c> for a leaf that requires grad. A suffix that would pass column 80 starts a new line
/// indented by 7.</para>
/// <para>grad_fn: PyTorch prints <c>grad_fn=&lt;Name&gt;</c> for a tensor made by a recorded operation.
/// TorchSharp does not expose the autograd node's name, so for such a non-leaf tensor this formatter prints
/// no grad_fn suffix at all rather than invent one; the rest of the string matches PyTorch.</para>
/// <para>Complex dtypes are not supported. float16 and bfloat16 are widened to float32 first, as PyTorch does.</para>
/// </remarks>
internal static class TensorFormatter
{
    private const int LineWidth = 80;
    private const int Threshold = 1000;
    private const int EdgeItems = 3;
    private const string Prefix = "tensor(";

    /// <summary>PyTorch's <c>repr</c> of <paramref name="tensor"/>; a Parameter gets <c>Parameter containing:</c> first.</summary>
    public static string Format(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var text = FormatTensor(tensor);
        return tensor is TorchSharp.Modules.Parameter ? "Parameter containing:\n" + text : text;
    }

    private static string FormatTensor(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var indent = Prefix.Length;
        var suffixes = new List<string>();
        if (tensor.device_type != DeviceType.CPU)
        {
            suffixes.Add("device='" + DeviceName(tensor) + "'");
        }
        string body;
        if (tensor.numel() == 0)
        {
            if (tensor.dim() != 1)
            {
                suffixes.Add("size=" + PythonTuple(tensor.shape));
            }
            if (tensor.dtype != ScalarType.Float32)
            {
                suffixes.Add("dtype=" + DTypeName(tensor.dtype));
            }
            body = "[]";
        }
        else
        {
            if (tensor.dtype is not (ScalarType.Float32 or ScalarType.Int64 or ScalarType.Bool))
            {
                suffixes.Add("dtype=" + DTypeName(tensor.dtype));
            }
            body = FormatData(tensor.detach(), indent);
        }
        if (tensor.requires_grad && tensor.is_leaf)
        {
            suffixes.Add("requires_grad=True");
        }
        return AddSuffixes(Prefix + body, suffixes, indent);
    }

    /// <summary>PyTorch's <c>str(dtype)</c>, e.g. <c>torch.float64</c>.</summary>
    internal static string DTypeName(ScalarType dtype) => "torch." + dtype switch
    {
        ScalarType.Byte => "uint8",
        ScalarType.Int8 => "int8",
        ScalarType.Int16 => "int16",
        ScalarType.Int32 => "int32",
        ScalarType.Int64 => "int64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.ComplexFloat32 => "complex64",
        ScalarType.ComplexFloat64 => "complex128",
        ScalarType.Bool => "bool",
        _ => dtype.ToString().ToLowerInvariant(),
    };

    /// <summary>PyTorch's <c>str(device)</c>: <c>cuda:0</c>, or the bare type when there is no index.</summary>
    internal static string DeviceName(Tensor tensor)
    {
        var type = tensor.device_type.ToString().ToLowerInvariant();
        return tensor.device_index >= 0 ? type + ":" + tensor.device_index.ToString(CultureInfo.InvariantCulture) : type;
    }

    /// <summary>Python's <c>str(tuple(shape))</c>: <c>(2, 0, 4)</c>, <c>(3,)</c>, <c>()</c>.</summary>
    internal static string PythonTuple(IReadOnlyList<long> items) =>
        items.Count == 1
            ? "(" + items[0].ToString(CultureInfo.InvariantCulture) + ",)"
            : "(" + string.Join(", ", items.Select(i => i.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>
    /// PyTorch's <c>_add_suffixes</c>, including its count of the last line as two longer than it is
    /// (the length after the last newline, plus one), which decides where a suffix wraps.
    /// </summary>
    internal static string AddSuffixes(string text, IEnumerable<string> suffixes, int indent)
    {
        var builder = new StringBuilder(text);
        var lastLineLength = text.Length - text.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLineLength + suffix.Length + 2 > LineWidth)
            {
                builder.Append(",\n").Append(' ', indent).Append(suffix);
                lastLineLength = indent + suffix.Length;
            }
            else
            {
                builder.Append(", ").Append(suffix);
                lastLineLength += suffix.Length + 2;
            }
        }
        return builder.Append(')').ToString();
    }

    /// <summary>The bracketed elements of a non-empty tensor (its 0-d scalar, or nested rows).</summary>
    private static string FormatData(Tensor tensor, int indent)
    {
        var shape = tensor.shape;
        var summarise = tensor.numel() > Threshold;
        var shown = tensor.cpu();
        var cut = new bool[shape.Length];
        for (var d = 0; d < shape.Length; d++)
        {
            cut[d] = summarise && shape[d] > 2 * EdgeItems;
            if (cut[d])
            {
                var n = shape[d];
                shown = shown.index_select(d, torch.tensor(new long[] { 0, 1, 2, n - 3, n - 2, n - 1 }));
            }
        }
        var formatter = BuildFormatter(shown.contiguous());
        var layout = new Layout(formatter, shown.shape, cut);
        return layout.Render(0, 0, indent);
    }

    private static ElementFormatter BuildFormatter(Tensor shown)
    {
        switch (shown.dtype)
        {
            case ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64:
                return ElementFormatter.ForFloats(shown.to_type(ScalarType.Float64).data<double>().ToArray());
            case ScalarType.Bool:
                return ElementFormatter.ForBooleans(shown.data<bool>().ToArray());
            case ScalarType.Byte or ScalarType.Int8 or ScalarType.Int16 or ScalarType.Int32 or ScalarType.Int64:
                return ElementFormatter.ForIntegers(shown.to_type(ScalarType.Int64).data<long>().ToArray());
            default:
                throw new NotSupportedException($"Printing tensors of dtype {DTypeName(shown.dtype)} is not supported.");
        }
    }

    /// <summary>Nested brackets over the shown elements, in row-major order.</summary>
    private sealed class Layout(ElementFormatter formatter, long[] shape, bool[] cut)
    {
        private readonly long[] _strides = Strides(shape);

        public string Render(int dim, long offset, int indent)
        {
            if (shape.Length == 0)
            {
                return formatter.Format(0);
            }
            var count = (int)shape[dim];
            if (dim == shape.Length - 1)
            {
                var items = Entries(dim, count, i => formatter.Format((int)(offset + i)), " ...");
                var elementLength = formatter.Width + 2;
                var perLine = Math.Max(1, (int)Math.Floor((LineWidth - indent) / (double)elementLength));
                var lines = items.Chunk(perLine).Select(line => string.Join(", ", line));
                return "[" + string.Join(",\n" + new string(' ', indent + 1), lines) + "]";
            }
            var slices = Entries(dim, count, i => Render(dim + 1, offset + i * _strides[dim], indent + 1), "...");
            var below = shape.Length - dim - 1;
            return "[" + string.Join("," + new string('\n', below) + new string(' ', indent + 1), slices) + "]";
        }

        /// <summary>The entries of one dimension, with the ellipsis after the first half when it was cut.</summary>
        private List<string> Entries(int dim, int count, Func<int, string> entry, string ellipsis)
        {
            var entries = new List<string>(count + 1);
            for (var i = 0; i < count; i++)
            {
                if (cut[dim] && i == EdgeItems)
                {
                    entries.Add(ellipsis);
                }
                entries.Add(entry(i));
            }
            return entries;
        }

        private static long[] Strides(long[] shape)
        {
            var strides = new long[shape.Length];
            long stride = 1;
            for (var d = shape.Length - 1; d >= 0; d--)
            {
                strides[d] = stride;
                stride *= shape[d];
            }
            return strides;
        }
    }
}

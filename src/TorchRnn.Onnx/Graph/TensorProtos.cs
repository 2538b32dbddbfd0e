using System;
using System.Runtime.InteropServices;
using Google.Protobuf;
using TorchRnn.Onnx.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Graph;

/// <summary>TorchSharp tensors as ONNX <c>TensorProto</c>s (raw little-endian data, as ONNX stores it).</summary>
internal static class TensorProtos
{
    /// <summary>ONNX's element type for a TorchSharp dtype.</summary>
    /// <exception cref="OnnxExportException">A dtype this exporter does not write.</exception>
    public static int ElementType(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => (int)TensorProto.Types.DataType.Float,
        ScalarType.Float64 => (int)TensorProto.Types.DataType.Double,
        ScalarType.Int64 => (int)TensorProto.Types.DataType.Int64,
        ScalarType.Int32 => (int)TensorProto.Types.DataType.Int32,
        ScalarType.Bool => (int)TensorProto.Types.DataType.Bool,
        _ => throw new OnnxExportException($"tensors of dtype {dtype} are not exported (float32, float64, int64, int32 and bool are)"),
    };

    public static TensorProto From(Tensor value, string name)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX's raw tensor data is little-endian.");
        using var scope = torch.NewDisposeScope();
        var t = value.detach().cpu().contiguous();
        var proto = new TensorProto { Name = name, DataType = ElementType(t.dtype) };
        proto.Dims.AddRange(t.shape);
        proto.RawData = t.dtype switch
        {
            ScalarType.Float32 => Bytes(t.data<float>().ToArray()),
            ScalarType.Float64 => Bytes(t.data<double>().ToArray()),
            ScalarType.Int64 => Bytes(t.data<long>().ToArray()),
            ScalarType.Int32 => Bytes(t.data<int>().ToArray()),
            ScalarType.Bool => Bytes(t.data<bool>().ToArray()),
            _ => throw new OnnxExportException($"tensors of dtype {t.dtype} are not exported"),
        };
        return proto;
    }

    private static ByteString Bytes<T>(T[] values) where T : struct
        => ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
}

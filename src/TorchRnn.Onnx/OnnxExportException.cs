using System;

namespace TorchRnn.Onnx;

/// <summary>
/// A module, option or operation that has no faithful ONNX form, refused at export time (a graph is never written
/// for it). The message names the module and the reason.
/// </summary>
public sealed class OnnxExportException : NotSupportedException
{
    /// <summary>Creates the exception with its message.</summary>
    /// <param name="message">What cannot be exported, and why.</param>
    public OnnxExportException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    /// <param name="message">What cannot be exported, and why.</param>
    /// <param name="inner">The error that caused it.</param>
    public OnnxExportException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception with no message (prefer the other constructors).</summary>
    public OnnxExportException()
    {
    }
}

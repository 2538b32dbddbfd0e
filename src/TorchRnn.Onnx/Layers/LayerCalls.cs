using System;
using TorchRnn.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchRnn.Onnx.Layers;

/// <summary>The TorchSharp layers the exporter knows, each written as the ONNX operators PyTorch's exporter uses.</summary>
internal static class LayerCalls
{
    /// <summary>The supported layers, for messages and the README.</summary>
    public const string Supported = "Linear, Embedding, Dropout, Identity, ReLU, Tanh, Sigmoid, Softmax, LogSoftmax, LayerNorm, Sequential";

    public static OnnxTensor Call(torch.nn.Module<Tensor, Tensor> module, OnnxTensor input)
    {
        var g = input.Graph;
        RequireEval(g, module);
        switch (module)
        {
            case Sequential sequential:
                // Sequential's forward feeds each child the previous one's output; its children are all Module<Tensor, Tensor>.
                var x = input;
                foreach (var (_, child) in sequential.named_children())
                    x = Call((torch.nn.Module<Tensor, Tensor>)child, x);
                return x;
            case Linear linear:
                return Linear(g, linear, input);
            case Embedding embedding:
                return Embedding(g, embedding, input);
            case Dropout:
            case Identity:
                return Apply(g, module, input, (w, x) => w.Op("Identity", x));
            case ReLU:
                return Apply(g, module, input, (w, x) => w.Op("Relu", x));
            case Tanh:
                return Apply(g, module, input, (w, x) => w.Op("Tanh", x));
            case Sigmoid:
                return Apply(g, module, input, (w, x) => w.Op("Sigmoid", x));
            case Softmax softmax:
                return Apply(g, module, input, (w, x) => w.Op("Softmax", [x], GraphWriter.Int("axis", softmax.dim)));
            case LogSoftmax logSoftmax:
                return Apply(g, module, input, (w, x) => w.Op("LogSoftmax", [x], GraphWriter.Int("axis", logSoftmax.dim)));
            case LayerNorm norm:
                return LayerNorm(g, norm, input);
            default:
                var type = module.GetType();
                var reason = type.Namespace == "TorchSharp.Modules"
                    ? $"no ONNX conversion for TorchSharp's {type.Name}; supported layers: {Supported}, and TorchRnn's recurrent modules and cells"
                    : "its forward is C# code that the exporter cannot read; export the model with a forward written on OnnxTensor " +
                      "(onnx.export(model, input, path, forward: x => ...)), calling its layers as its forward does";
                throw new OnnxExportException($"Cannot export {g.Describe(module)}: {reason}.");
        }
    }

    /// <summary>Export computes inference: a module in training mode (dropout active) is refused, never exported silently as eval.</summary>
    public static void RequireEval(OnnxGraph g, torch.nn.Module module)
    {
        if (!module.training) return;
        var named = g.Describe(module);
        throw new OnnxExportException(
            $"Cannot export {named}: it is in training mode; call eval() first (ONNX export computes inference, where dropout is off)." +
            (g.Knows(module) ? "" : " Build the graph as new OnnxGraph(model) to have the module named by its field."));
    }

    private static OnnxTensor Apply(OnnxGraph g, torch.nn.Module<Tensor, Tensor> module, OnnxTensor input, Func<GraphWriter, string, string> write)
    {
        g.Own(input);
        var example = g.Eager(() => module.call(input.Example)); // the module's own checks and messages come first
        return new OnnxTensor(g, write(g.Writer, input.Name), example);
    }

    // A lookup, of the table as the module's forward sees it. TorchSharp's Embedding keeps its options (max_norm,
    // norm_type) in native code with no accessor; with max_norm, its forward first renormalises, in place, each
    // looked-up row whose norm exceeds max_norm. For fixed weights that is a fixed table: the rows the forward returns
    // for every index. So the export runs the forward over every index, writes the rows it returns, and puts the
    // weight back (a copy taken before), leaving the rows outside the example as they were. Without max_norm the
    // forward returns the weight itself.
    private static OnnxTensor Embedding(OnnxGraph g, Embedding embedding, OnnxTensor input)
        => Apply(g, embedding, input, (w, x) =>
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var weight = embedding.weight!;
            var before = weight.detach().clone();
            var table = embedding.call(torch.arange(weight.shape[0], device: weight.device)).detach().clone();
            weight.detach().copy_(before);
            return w.Op("Gather", w.Initializer("embedding", table), x);
        });

    // y = x W^T + b, for input of any rank (ONNX's Gemm takes 2-D only).
    private static OnnxTensor Linear(OnnxGraph g, Linear linear, OnnxTensor input)
        => Apply(g, linear, input, (w, x) =>
        {
            string weight;
            using (var t = linear.weight.t()) weight = w.Initializer("linear_weight", t);
            var y = w.Op("MatMul", x, weight);
            return linear.bias is null ? y : w.Op("Add", y, w.Initializer("linear_bias", linear.bias));
        });

    private static OnnxTensor LayerNorm(OnnxGraph g, LayerNorm norm, OnnxTensor input)
        => Apply(g, norm, input, (w, x) =>
        {
            string scale, bias;
            if (norm.elementwise_affine && norm.weight is not null)
            {
                scale = w.Initializer("norm_weight", norm.weight);
                bias = norm.bias is null ? "" : w.Initializer("norm_bias", norm.bias);
            }
            else
            {
                using var ones = torch.ones(norm.normalized_shape, input.dtype);
                scale = w.Initializer("norm_weight", ones);
                bias = "";
            }
            return w.Op("LayerNormalization", [x, scale, bias],
                GraphWriter.Int("axis", -norm.normalized_shape.Length), GraphWriter.Float("epsilon", (float)norm.eps));
        });
}

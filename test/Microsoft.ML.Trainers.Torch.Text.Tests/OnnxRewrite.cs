using System;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Extensions.Tests;
using Microsoft.ML.Trainers.Torch.Onnx;
using Microsoft.ML.Trainers.Torch.Onnx.Protos;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text.Tests;

/// <summary>Copies an ONNX encoder (with its vocabulary) into a temporary folder after editing it through the protobuf classes.</summary>
internal static class OnnxRewrite
{
    /// <summary>Writes an edited copy of <paramref name="modelPath"/> and its vocab.txt to a new folder; returns the new model path.</summary>
    public static string Copy(string modelPath, Action<OnnxModel>? edit = null)
    {
        string dir = TestData.NewTempDir();
        File.Copy(Path.Combine(Path.GetDirectoryName(modelPath)!, "vocab.txt"), Path.Combine(dir, "vocab.txt"));
        OnnxModel model = OnnxModel.Load(modelPath);
        edit?.Invoke(model);
        string path = Path.Combine(dir, "model.onnx");
        OnnxModel.Save(model.Proto, path);
        return path;
    }

    /// <summary>A float32 initializer named <paramref name="name"/> holding <paramref name="value"/>.</summary>
    public static TensorProto Initializer(string name, Tensor value)
    {
        using Tensor contiguous = value.to_type(ScalarType.Float32).contiguous();
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(contiguous.bytes) };
        proto.Dims.AddRange(contiguous.shape);
        return proto;
    }

    /// <summary>The initializer <paramref name="name"/>.</summary>
    public static TensorProto Get(OnnxModel model, string name) => model.Proto.Graph.Initializer.Single(t => t.Name == name);

    /// <summary>Renames the value <paramref name="from"/> everywhere it is mentioned.</summary>
    public static void Rename(OnnxModel model, string from, string to)
    {
        foreach (TensorProto t in model.Proto.Graph.Initializer.Where(t => t.Name == from))
        {
            t.Name = to;
        }
        foreach (NodeProto node in model.Proto.Graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                {
                    node.Input[i] = to;
                }
            }
        }
    }

    /// <summary>The MatMul whose output is added to the named bias <paramref name="bias"/>.</summary>
    public static NodeProto MatMulBefore(OnnxModel model, string bias)
    {
        NodeProto add = model.Consumers(bias).Single(n => n.OpType == "Add");
        return add.Input.Select(model.Producer).Single(p => p is { OpType: "MatMul" })!;
    }
}

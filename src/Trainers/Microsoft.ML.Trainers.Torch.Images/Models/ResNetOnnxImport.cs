using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Onnx;
using Microsoft.ML.Trainers.Torch.Onnx.Protos;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>
/// Reads the backbone of a ResNet exported to ONNX with BasicBlocks and unfolded batch norms (ML.NET's pretrained
/// ResNet-18, <c>ResNet18.onnx</c>, is one) by following its graph from the input: Conv → BatchNormalization → Relu →
/// MaxPool, then per block Conv → BatchNormalization → Relu → Conv → BatchNormalization → Add (identity or a 1x1
/// Conv → BatchNormalization projection) → Relu, then the average pool. Initializer names are never relied on.
/// </summary>
internal static class ResNetOnnxImport
{
    /// <summary>
    /// Copies the backbone of the ONNX file at <paramref name="path"/> into <paramref name="model"/> (not the head
    /// <c>fc</c>). The stem's input channels are reversed when the model has 3: CNTK's ImageNet networks read BGR, and
    /// the trainer feeds RGB.
    /// </summary>
    /// <returns>The number of tensors copied.</returns>
    /// <exception cref="InvalidDataException">The graph is not a ResNet of <paramref name="model"/>'s topology; the message says where it differs.</exception>
    public static int Load(ResNet model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        OnnxModel onnx = OnnxModel.Load(path);
        ResNetConfig config = model.Config;
        if (config.Block != ResNetBlockKind.Basic || config.Stem != ResNetStem.ImageNet)
        {
            throw new InvalidDataException($"'{path}': ONNX import supports BasicBlock ResNets with the ImageNet stem; the model is {config}.");
        }
        if (onnx.Inputs.Count != 1)
        {
            throw new InvalidDataException($"'{path}' has {onnx.Inputs.Count} graph inputs; a ResNet has one image input.");
        }

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            var reader = new GraphReader(onnx, path, config.Padding, tensors);
            string x = reader.Stem(onnx.Inputs[0].Name);
            var layers = new List<int>();
            long planes = config.BaseWidth;
            while (true)
            {
                IReadOnlyList<NodeProto> convs = reader.ConsumersOf(x, "Conv");
                if (convs.Count == 0)
                {
                    break;
                }
                NodeProto branch = convs.FirstOrDefault(c => c.GetInts("kernel_shape") is [3, 3])
                    ?? throw reader.Error($"no 3x3 convolution reads '{x}' (block {layers.Sum() + 1})");
                bool newStage = branch.GetInts("strides") is [> 1, ..] || layers.Count == 0;
                if (newStage)
                {
                    layers.Add(0);
                }
                string prefix = $"layer{layers.Count}.{layers[^1]}.";
                x = reader.BasicBlock(x, branch, convs.FirstOrDefault(c => c != branch), prefix);
                layers[^1]++;
            }
            reader.CheckPooling(x);
            if (!layers.SequenceEqual(config.Layers))
            {
                throw reader.Error($"the graph has BasicBlocks [{string.Join(", ", layers)}] per stage; the model has [{string.Join(", ", config.Layers)}]");
            }
            return Copy(model, tensors, path);
        }
        finally
        {
            foreach (Tensor t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    private static int Copy(ResNet model, Dictionary<string, Tensor> tensors, string path)
    {
        using IDisposable noGrad = no_grad();
        int copied = 0;
        IEnumerable<(string Name, Tensor Value)> targets = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(model.named_buffers().Select(b => (b.name, b.buffer)));
        foreach ((string name, Tensor target) in targets)
        {
            if (name.StartsWith("fc.", StringComparison.Ordinal) || name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            {
                continue;
            }
            if (!tensors.TryGetValue(name, out Tensor? value))
            {
                throw new InvalidDataException($"'{path}': the graph gives no tensor for the model's '{name}'.");
            }
            if (name == "conv1.weight" && value.shape[1] == 3)
            {
                using Tensor bgr = value;
                value = tensors[name] = value.flip(1);  // BGR → RGB input channels
            }
            if (!value.shape.SequenceEqual(target.shape))
            {
                throw new InvalidDataException(
                    $"'{path}': '{name}' has shape [{string.Join(", ", value.shape)}] in the graph and [{string.Join(", ", target.shape)}] in the model (check BaseWidth and InputChannels).");
            }
            target.copy_(value);
            copied++;
        }
        return copied;
    }

    /// <summary>Follows the graph node by node, collecting each convolution's and batch norm's tensors under the model's names.</summary>
    private sealed class GraphReader
    {
        private readonly OnnxModel _onnx;
        private readonly string _path;
        private readonly ResNetPadding _padding;
        private readonly Dictionary<string, Tensor> _tensors;

        public GraphReader(OnnxModel onnx, string path, ResNetPadding padding, Dictionary<string, Tensor> tensors) =>
            (_onnx, _path, _padding, _tensors) = (onnx, path, padding, tensors);

        public InvalidDataException Error(string what) => new($"'{_path}' is not a ResNet of the expected shape: {what}.");

        public IReadOnlyList<NodeProto> ConsumersOf(string value, string op) =>
            _onnx.Consumers(value).Where(n => n.OpType == op && OnnxModel.IsDefaultDomain(n)).ToArray();

        /// <summary>7x7/2 convolution, batch norm, ReLU, 3x3/2 max pool; returns the pool's output.</summary>
        public string Stem(string input)
        {
            NodeProto conv = Single(input, "Conv", "the image input");
            string x = ConvBatchNorm(conv, "conv1", "bn1", kernel: 7, stride: 2, before: 3, after: _padding == ResNetPadding.TopLeft ? 2 : 3);
            x = Next(x, "Relu").Output[0];
            NodeProto pool = Next(x, "MaxPool");
            CheckWindow(pool, kernel: 3, stride: 2, before: 1, after: _padding == ResNetPadding.TopLeft ? 0 : 1);
            return pool.Output[0];
        }

        /// <summary>One BasicBlock starting at <paramref name="x"/>; returns its output (after the final ReLU).</summary>
        public string BasicBlock(string x, NodeProto branch, NodeProto? projection, string prefix)
        {
            long stride = branch.GetInts("strides") is [long s, ..] ? s : 1;
            bool topLeft = _padding == ResNetPadding.TopLeft && stride > 1;
            string y = ConvBatchNorm(branch, prefix + "conv1", prefix + "bn1", kernel: 3, stride, before: 1, after: topLeft ? 0 : 1);
            y = Next(y, "Relu").Output[0];
            y = ConvBatchNorm(Single(y, "Conv", $"'{y}'"), prefix + "conv2", prefix + "bn2", kernel: 3, stride: 1, before: 1, after: 1);
            NodeProto add = Next(y, "Add");
            string shortcut = add.Input[0] == y ? add.Input[1] : add.Input[0];
            if (projection is null)
            {
                if (shortcut != x)
                {
                    throw Error($"{add.Describe()} adds '{shortcut}', not the block input '{x}', and there is no projection");
                }
            }
            else
            {
                string projected = ConvBatchNorm(projection, prefix + "downsample.0", prefix + "downsample.1", kernel: 1, stride, before: 0, after: 0);
                if (shortcut != projected)
                {
                    throw Error($"{add.Describe()} adds '{shortcut}', not the projection '{projected}'");
                }
            }
            return Next(add.Output[0], "Relu").Output[0];
        }

        /// <summary>The features end in a global average pool.</summary>
        public void CheckPooling(string x)
        {
            NodeProto? pool = _onnx.Consumers(x).FirstOrDefault(n => n.OpType is "AveragePool" or "GlobalAveragePool");
            if (pool is null)
            {
                throw Error($"'{x}' (after the last block) feeds {string.Join(", ", _onnx.Consumers(x).Select(n => n.Describe()))}, not an average pool");
            }
        }

        private string ConvBatchNorm(NodeProto conv, string convName, string bnName, long kernel, long stride, long before, long after)
        {
            CheckWindow(conv, kernel, stride, before, after);
            if (conv.GetInt("group", 1) != 1 || conv.GetInts("dilations") is { } d && d.Any(v => v != 1))
            {
                throw Error($"{conv.Describe()} is grouped or dilated");
            }
            if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
            {
                throw Error($"{conv.Describe()} has a bias; ResNet convolutions have none (their batch norm follows)");
            }
            Read(conv.Input[1], convName + ".weight");
            NodeProto bn = Next(conv.Output[0], "BatchNormalization");
            float eps = bn.GetFloat("epsilon", 1e-5f);
            if (Math.Abs(eps - ResNetLayers.BatchNormEps) > 1e-9)
            {
                throw Error($"{bn.Describe()} has epsilon {eps}; the model's batch norms use {ResNetLayers.BatchNormEps}");
            }
            Read(bn.Input[1], bnName + ".weight");
            Read(bn.Input[2], bnName + ".bias");
            Read(bn.Input[3], bnName + ".running_mean");
            Read(bn.Input[4], bnName + ".running_var");
            return bn.Output[0];
        }

        private void CheckWindow(NodeProto node, long kernel, long stride, long before, long after)
        {
            long[] expectedPads = { before, before, after, after };
            IReadOnlyList<long> pads = node.GetInts("pads") ?? new long[4];
            string autoPad = node.GetString("auto_pad", "NOTSET");
            IReadOnlyList<long> k = node.GetInts("kernel_shape") ?? Array.Empty<long>();
            if (!k.SequenceEqual(new[] { kernel, kernel })
                || (node.GetInts("strides") ?? new long[] { 1, 1 }).Any(s => s != stride)
                || autoPad != "NOTSET" || !pads.SequenceEqual(expectedPads))
            {
                throw Error($"{node.Describe()} has kernel [{string.Join(", ", k)}], strides [{string.Join(", ", node.GetInts("strides") ?? Array.Empty<long>())}], " +
                    $"pads [{string.Join(", ", pads)}] (auto_pad {autoPad}); the model needs kernel {kernel}, stride {stride}, pads [{string.Join(", ", expectedPads)}] ({_padding} padding)");
            }
        }

        private void Read(string value, string name)
        {
            if (_tensors.ContainsKey(name))
            {
                throw Error($"two graph tensors map to '{name}'");
            }
            Tensor tensor = _onnx.ReadTensor(value);
            if (tensor.dtype != ScalarType.Float32)
            {
                using Tensor stored = tensor;
                tensor = stored.to_type(ScalarType.Float32);
            }
            _tensors[name] = tensor;
        }

        private NodeProto Next(string value, string op) => Single(value, op, $"'{value}'");

        private NodeProto Single(string value, string op, string what)
        {
            IReadOnlyList<NodeProto> nodes = ConsumersOf(value, op);
            if (nodes.Count != 1)
            {
                throw Error($"{what} feeds {nodes.Count} {op} nodes, expected one (it feeds {string.Join(", ", _onnx.Consumers(value).Select(n => n.Describe()))})");
            }
            return nodes[0];
        }
    }
}

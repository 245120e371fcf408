using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Onnx;
using Microsoft.ML.Trainers.Torch.Onnx.Protos;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Text;

/// <summary>
/// Reads a BERT encoder out of an ONNX graph exported from a Hugging Face model: named tensors by their
/// Hugging Face names, Linear weights by following the graph from their named bias, and the hyper-parameters
/// the tensor shapes do not carry (heads, LayerNorm epsilon, activation) from the operators.
/// </summary>
/// <remarks>
/// Exporters differ in what they name and how: <c>torch.onnx</c> keeps parameter names for tensors used
/// directly (embeddings, biases, LayerNorms) but stores each Linear weight transposed under a generated name
/// (<c>927</c>, <c>onnx::MatMul_123</c>) feeding a <c>MatMul</c> whose output meets the named bias in an
/// <c>Add</c>; 2-D inputs export as <c>Gemm</c> with the named <c>*.weight</c>; other tools keep
/// <c>*.weight</c> and add a <c>Transpose</c>. All of these are followed here, never initializer numbers.
/// </remarks>
internal sealed class BertOnnxGraph
{
    private const string WordEmbeddings = "embeddings.word_embeddings.weight";

    // Standard operators a BERT encoder export uses (embedding lookups, attention, LayerNorm decomposed or
    // fused, the activations, shape arithmetic for reshapes and masks). Anything else changes the computation.
    private static readonly HashSet<string> EncoderOperators = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal", "Neg", "Erf", "Tanh", "Relu", "Sigmoid", "Gelu",
        "MatMul", "Gemm", "Gather", "Shape", "Size", "Reshape", "Transpose", "Unsqueeze", "Squeeze", "Concat", "Slice",
        "Expand", "Cast", "Constant", "ConstantOfShape", "Identity", "Softmax", "ReduceMean", "LayerNormalization",
        "Where", "Equal", "Not", "Less", "Greater", "Range", "Min", "Max", "Clip", "Dropout", "Flatten",
    };

    private readonly OnnxModel _model;

    private BertOnnxGraph(OnnxModel model, string prefix)
    {
        _model = model;
        Prefix = prefix;
    }

    /// <summary>The file, for messages.</summary>
    public string Source => _model.Source;

    /// <summary>What precedes the Hugging Face names, e.g. "bert." when a <c>BertFor*</c> model was exported; usually "".</summary>
    public string Prefix { get; }

    /// <summary>Recognises <paramref name="model"/> as a BERT encoder by its word-embedding and first-layer tensor names.</summary>
    /// <exception cref="InvalidDataException">Not a BERT encoder; the message names what is missing.</exception>
    public static BertOnnxGraph Open(OnnxModel model)
    {
        string? word = model.InitializerNames.Where(n => n.EndsWith(WordEmbeddings, StringComparison.Ordinal)).OrderBy(n => n.Length).FirstOrDefault();
        if (word is null)
        {
            throw new InvalidDataException(
                $"'{model.Source}' is not a BERT encoder: no initializer is named '{WordEmbeddings}' (with or without a prefix such as 'bert.'). " +
                $"Its first initializers are: {string.Join(", ", model.InitializerNames.Take(8))}.");
        }
        string prefix = word[..^WordEmbeddings.Length];
        var graph = new BertOnnxGraph(model, prefix);
        if (!graph.Has("encoder.layer.0.attention.self.query.bias"))
        {
            throw new InvalidDataException(
                $"'{model.Source}' is not a BERT encoder: it has '{word}' but no '{prefix}encoder.layer.0.attention.self.query.bias' (BERT's first attention layer).");
        }
        return graph;
    }

    /// <summary>Whether the Hugging Face tensor <paramref name="name"/> is stored under its name.</summary>
    public bool Has(string name) => _model.TryGetInitializer(Prefix + name, out _);

    /// <summary>The stored dimensions of the named tensor <paramref name="name"/>.</summary>
    public long[] Shape(string name) => _model.TryGetConstantShape(Prefix + name)
        ?? throw Missing(name);

    /// <summary>Reads the named tensor <paramref name="name"/> as float32.</summary>
    public Tensor ReadNamed(string name)
    {
        if (!Has(name))
        {
            throw Missing(name);
        }
        return ToFloat(_model.ReadTensor(Prefix + name));
    }

    /// <summary>The number of encoder layers: the indices in <c>encoder.layer.N.</c> names, which must run from 0 without gaps.</summary>
    public int CountLayers()
    {
        string start = Prefix + "encoder.layer.";
        var indices = new SortedSet<int>();
        foreach (string name in _model.InitializerNames.Where(n => n.StartsWith(start, StringComparison.Ordinal)))
        {
            string rest = name[start.Length..];
            int dot = rest.IndexOf('.');
            if (dot > 0 && int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                indices.Add(index);
            }
        }
        for (int i = 0; i < indices.Count; i++)
        {
            if (!indices.Contains(i))
            {
                throw new InvalidDataException($"'{Source}': encoder layer {i} is missing (found layers {string.Join(", ", indices)}).");
            }
        }
        return indices.Count;
    }

    /// <summary>
    /// The weight of the Linear module <paramref name="module"/> (e.g. <c>encoder.layer.0.attention.self.query</c>)
    /// in PyTorch's [out, in] layout, found by name or by following the graph from its bias.
    /// </summary>
    /// <exception cref="InvalidDataException">Neither found; the message names the module.</exception>
    public Tensor ReadLinearWeight(string module, long inFeatures, long outFeatures)
    {
        (string value, bool transposed) = FindLinearWeight(module);
        using var scope = NewDisposeScope();
        Tensor stored = ToFloat(_model.ReadTensor(value));
        Tensor weight = transposed ? stored.t().contiguous() : stored;
        if (weight.dim() != 2 || weight.shape[0] != outFeatures || weight.shape[1] != inFeatures)
        {
            throw new InvalidDataException(
                $"'{Source}': the weight of '{Prefix}{module}' (initializer '{value}'{(transposed ? ", transposed" : "")}) has shape [{string.Join(", ", weight.shape)}] " +
                $"but the layer maps {inFeatures} to {outFeatures} features.");
        }
        return weight.MoveToOuterDisposeScope();
    }

    /// <summary>The value holding <paramref name="module"/>'s weight and whether it is stored [in, out] (transposed from PyTorch's layout).</summary>
    private (string Value, bool Transposed) FindLinearWeight(string module)
    {
        string weightName = Prefix + module + ".weight";
        if (_model.TryGetInitializer(weightName, out _))
        {
            // Named: the orientation is whatever the consuming operator needs.
            foreach (NodeProto node in _model.Consumers(weightName))
            {
                switch (node.OpType)
                {
                    case "Gemm" when _model.ResolveIdentity(node.Input[1]) == weightName:
                        return (weightName, node.GetInt("transB", 0) == 0);
                    case "MatMul" when _model.ResolveIdentity(node.Input[1]) == weightName:
                        return (weightName, true);
                    case "Transpose":
                        return (weightName, false);
                }
            }
            return (weightName, false);
        }

        string biasName = Prefix + module + ".bias";
        if (!_model.TryGetInitializer(biasName, out _))
        {
            throw new InvalidDataException($"'{Source}': neither '{weightName}' nor '{biasName}' is in the model, so the Linear layer '{Prefix}{module}' cannot be found.");
        }
        foreach (NodeProto node in _model.Consumers(biasName))
        {
            if (node.OpType == "Gemm" && node.Input.Count > 2 && _model.ResolveIdentity(node.Input[2]) == biasName)
            {
                return WeightOperand(node.Input[1], transposedWhenPlain: node.GetInt("transB", 0) == 0, module);
            }
            if (node.OpType == "Add")
            {
                string other = _model.ResolveIdentity(node.Input[0]) == biasName ? node.Input[1] : node.Input[0];
                if (_model.Producer(_model.ResolveIdentity(other)) is { OpType: "MatMul" } matMul)
                {
                    return WeightOperand(matMul.Input[1], transposedWhenPlain: true, module);
                }
            }
        }
        throw new InvalidDataException(
            $"'{Source}': cannot find the weight of '{Prefix}{module}': '{biasName}' is not added to a MatMul of a constant weight, nor the bias of a Gemm.");
    }

    // A weight operand is a constant, or a Transpose of one (which flips the orientation).
    private (string Value, bool Transposed) WeightOperand(string operand, bool transposedWhenPlain, string module)
    {
        string value = _model.ResolveIdentity(operand);
        if (_model.TryGetConstant(value, out _))
        {
            return (value, transposedWhenPlain);
        }
        if (_model.Producer(value) is { OpType: "Transpose" } transpose && _model.TryGetConstant(_model.ResolveIdentity(transpose.Input[0]), out _))
        {
            return (_model.ResolveIdentity(transpose.Input[0]), !transposedWhenPlain);
        }
        throw new InvalidDataException($"'{Source}': the weight of '{Prefix}{module}' ('{operand}') is computed in the graph, not stored; only stored weights can be imported.");
    }

    /// <summary>The value the Linear module <paramref name="module"/> outputs (its bias Add or Gemm), or null when not found.</summary>
    public string? LinearOutput(string module)
    {
        string biasName = Prefix + module + ".bias";
        NodeProto? node = _model.Consumers(biasName).FirstOrDefault(n => n.OpType is "Add" or "Gemm");
        return node?.Output[0];
    }

    /// <summary>
    /// The number of attention heads of layer <paramref name="layer"/>, from the target shape of the Reshape that
    /// splits the query projection into [batch, length, heads, head size]; null when the graph does not say.
    /// </summary>
    public int? InferHeads(int layer, int hidden)
    {
        string? query = LinearOutput($"encoder.layer.{layer}.attention.self.query");
        if (query is null)
        {
            return null;
        }
        // The Reshape follows the projection directly or after a scaling Mul/Div (some exporters scale q first).
        var frontier = new List<string> { query };
        for (int depth = 0; depth < 3 && frontier.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (NodeProto node in frontier.SelectMany(v => _model.Consumers(v)))
            {
                if (node.OpType == "Reshape" && ResolveShape(node.Input[1]) is { Count: 4 } dims)
                {
                    if (dims[2] is > 0 and long heads)
                    {
                        return (int)heads;
                    }
                    if (dims[3] is > 0 and long headSize && hidden % headSize == 0)
                    {
                        return hidden / (int)headSize;
                    }
                }
                if (node.OpType is "Mul" or "Div" or "Cast")
                {
                    next.Add(node.Output[0]);
                }
            }
            frontier = next;
        }
        return null;
    }

    // The elements of a shape operand: a constant, or a Concat of constants and computed pieces (one unknown element each).
    private List<long?>? ResolveShape(string value)
    {
        if (_model.TryReadInt64s(value) is long[] constant)
        {
            return constant.Select(v => (long?)v).ToList();
        }
        if (_model.Producer(_model.ResolveIdentity(value)) is { OpType: "Concat" } concat)
        {
            var dims = new List<long?>();
            foreach (string part in concat.Input)
            {
                if (_model.TryReadInt64s(part) is long[] values)
                {
                    dims.AddRange(values.Select(v => (long?)v));
                }
                else
                {
                    dims.Add(null);
                }
            }
            return dims;
        }
        return null;
    }

    /// <summary>
    /// The LayerNorm epsilon of the LayerNorm <paramref name="module"/>: the <c>epsilon</c> attribute of a fused
    /// <c>LayerNormalization</c>, or the constant added to the variance before <c>Sqrt</c> in the decomposed
    /// form; null when neither pattern is found.
    /// </summary>
    public double? InferLayerNormEps(string module)
    {
        string weight = Prefix + module + ".weight";
        foreach (NodeProto node in _model.Consumers(weight))
        {
            if (node.OpType == "LayerNormalization")
            {
                return Shortest(node.GetFloat("epsilon", 1e-5f));
            }
            if (node.OpType != "Mul")
            {
                continue;
            }
            // (x - mean) / sqrt(var + eps) * weight + bias
            string normalized = _model.ResolveIdentity(node.Input[0]) == weight ? node.Input[1] : node.Input[0];
            NodeProto? div = _model.Producer(normalized);
            NodeProto? sqrt = div is { OpType: "Div" } ? SkipCasts(div.Input[1]) : null;
            NodeProto? add = sqrt is { OpType: "Sqrt" } ? SkipCasts(sqrt.Input[0]) : null;
            if (add is { OpType: "Add" })
            {
                foreach (string operand in add.Input)
                {
                    if (_model.TryReadDoubles(operand) is { Length: 1 } eps)
                    {
                        return Shortest((float)eps[0]);
                    }
                }
            }
        }
        return null;
    }

    private NodeProto? SkipCasts(string value)
    {
        NodeProto? node = _model.Producer(_model.ResolveIdentity(value));
        while (node is { OpType: "Cast" })
        {
            node = _model.Producer(_model.ResolveIdentity(node.Input[0]));
        }
        return node;
    }

    // Exporters store epsilon as float32 (1e-12 becomes 9.99999996e-13); Hugging Face configs hold the decimal it came from.
    private static double Shortest(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>
    /// The feed-forward activation of layer <paramref name="layer"/> as a Hugging Face <c>hidden_act</c> name, read
    /// from the operators between the intermediate projection and the output projection; null when not found.
    /// </summary>
    /// <exception cref="InvalidDataException">An operator there is not part of any supported activation.</exception>
    public string? InferActivation(int layer)
    {
        string? start = LinearOutput($"encoder.layer.{layer}.intermediate.dense");
        if (start is null)
        {
            return null;
        }
        var ops = new HashSet<string>(StringComparer.Ordinal);
        string? gelu = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var frontier = new Queue<string>();
        frontier.Enqueue(start);
        while (frontier.Count > 0 && seen.Count < 64)
        {
            foreach (NodeProto node in _model.Consumers(frontier.Dequeue()))
            {
                if (node.OpType is "MatMul" or "Gemm" || !seen.Add(node.Output[0]))
                {
                    continue; // the output projection ends the activation
                }
                if (!OnnxModel.IsDefaultDomain(node) || !(node.OpType is "Mul" or "Div" or "Add" or "Sub" or "Pow" or "Erf" or "Tanh" or "Sigmoid" or "Relu" or "Gelu" or "Cast" or "Constant" or "Identity"))
                {
                    throw new InvalidDataException(
                        $"'{Source}': unsupported operator {node.Describe()} in the feed-forward activation of encoder layer {layer}.");
                }
                ops.Add(node.OpType);
                if (node.OpType == "Gelu")
                {
                    gelu = node.GetString("approximate", "none");
                }
                frontier.Enqueue(node.Output[0]);
            }
        }
        if (gelu is not null)
        {
            return gelu == "tanh" ? "gelu_new" : "gelu";
        }
        if (ops.Contains("Erf"))
        {
            return "gelu";
        }
        if (ops.Contains("Tanh"))
        {
            return "gelu_new"; // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        }
        if (ops.Contains("Relu"))
        {
            return "relu";
        }
        if (ops.Contains("Sigmoid"))
        {
            return "silu"; // x * sigmoid(x); quick_gelu scales the input first and is told apart by config.json
        }
        return null;
    }

    /// <summary>
    /// Checks that every operator belongs to a BERT encoder export, naming the offender and the part of the
    /// encoder it sits in (embeddings, encoder layer N, after the layers).
    /// </summary>
    /// <exception cref="InvalidDataException">An unsupported operator; the message names it.</exception>
    public void CheckOperators(int layers)
    {
        // A node belongs to the last layer whose first named tensor is read at or before it (nodes are in topological order).
        int[] layerStart = Enumerable.Range(0, layers)
            .Select(i => _model.InitializerNames.Where(n => n.StartsWith($"{Prefix}encoder.layer.{i}.", StringComparison.Ordinal))
                .SelectMany(n => _model.Consumers(n)).Select(_model.IndexOf).DefaultIfEmpty(int.MaxValue).Min())
            .ToArray();
        int pooler = _model.Consumers(Prefix + "pooler.dense.bias").Select(_model.IndexOf).DefaultIfEmpty(int.MaxValue).Min();
        foreach (NodeProto node in _model.Nodes)
        {
            if (OnnxModel.IsDefaultDomain(node) && EncoderOperators.Contains(node.OpType))
            {
                continue;
            }
            int index = _model.IndexOf(node);
            int layer = Array.FindLastIndex(layerStart, s => s <= index);
            string where = index >= pooler ? "the pooler" : layer < 0 ? "the embeddings" : $"encoder layer {layer}";
            throw new InvalidDataException(
                $"'{Source}': unsupported operator {node.Describe()} in {where}; a BERT encoder export uses only {string.Join(", ", EncoderOperators.Order())}.");
        }
    }

    private InvalidDataException Missing(string name) =>
        new($"'{Source}' has no tensor '{Prefix}{name}', which a BERT encoder needs.");

    private static Tensor ToFloat(Tensor t)
    {
        if (t.dtype == ScalarType.Float32)
        {
            return t;
        }
        Tensor converted = t.to_type(ScalarType.Float32);
        t.Dispose();
        return converted;
    }
}

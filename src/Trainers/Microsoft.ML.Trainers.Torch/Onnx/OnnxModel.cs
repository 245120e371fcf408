using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Trainers.Torch.Onnx.Protos;
using static TorchSharp.torch;

namespace Microsoft.ML.Trainers.Torch.Onnx;

/// <summary>
/// An ONNX model file, read with the generated protobuf classes, indexed for importers: initializers and
/// <c>Constant</c> outputs by name (readable as TorchSharp tensors), the node producing and the nodes
/// consuming each value, the graph's real inputs and outputs, and the operator set version.
/// </summary>
/// <remarks>
/// Knows nothing about any architecture: importers (BERT, ResNet) follow the graph with it. Values
/// passed through <c>Identity</c> are resolved to the tensor they copy, because exporters insert them
/// for weights shared or renamed.
/// </remarks>
internal sealed class OnnxModel
{
    /// <summary>The operator-set domain of the standard ONNX operators (written as "" or "ai.onnx").</summary>
    public const string DefaultDomain = "ai.onnx";

    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeProto, int> _nodeIndex = new(ReferenceEqualityComparer.Instance);

    /// <summary>Indexes <paramref name="proto"/>; <paramref name="source"/> names it in errors and locates external data.</summary>
    public OnnxModel(ModelProto proto, string source)
    {
        Proto = proto;
        Source = source;
        if (proto.Graph is null)
        {
            throw new InvalidDataException($"ONNX model '{source}' has no graph.");
        }
        GraphProto graph = proto.Graph;
        foreach (TensorProto t in graph.Initializer)
        {
            _initializers[t.Name] = t;
        }
        for (int i = 0; i < graph.Node.Count; i++)
        {
            NodeProto node = graph.Node[i];
            _nodeIndex[node] = i;
            foreach (string output in node.Output)
            {
                _producers[output] = node;
            }
            foreach (string input in node.Input.Where(x => x.Length > 0).Distinct())
            {
                if (!_consumers.TryGetValue(input, out List<NodeProto>? list))
                {
                    _consumers[input] = list = new List<NodeProto>();
                }
                list.Add(node);
            }
            if (node.OpType == "Constant" && IsDefaultDomain(node) && node.Output.Count == 1
                && node.Attribute.FirstOrDefault(a => a.Name == "value") is { T: not null } value)
            {
                _constants[node.Output[0]] = value.T;
            }
        }
        var initializerNames = new HashSet<string>(_initializers.Keys, StringComparer.Ordinal);
        // Before IR version 4 initializers were also listed as graph inputs; only the others are fed at run time.
        Inputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).Select(OnnxValueInfo.From).ToArray();
        Outputs = graph.Output.Select(OnnxValueInfo.From).ToArray();
    }

    /// <summary>The parsed protobuf message (for rewriting a model, e.g. in tests).</summary>
    public ModelProto Proto { get; }

    /// <summary>The file the model came from (or another description of its source).</summary>
    public string Source { get; }

    /// <summary>The nodes in the file's (topological) order.</summary>
    public IReadOnlyList<NodeProto> Nodes => Proto.Graph.Node;

    /// <summary>The inputs fed at run time (initializers excluded).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>The graph outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>The names of all initializers, in file order.</summary>
    public IEnumerable<string> InitializerNames => Proto.Graph.Initializer.Select(t => t.Name);

    /// <summary>The version of the standard operator set the model imports (0 when it imports none).</summary>
    public long OpsetVersion => Proto.OpsetImport.Where(o => o.Domain.Length == 0 || o.Domain == DefaultDomain).Select(o => o.Version).DefaultIfEmpty(0).Max();

    /// <summary>Reads and indexes the ONNX file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model; the message names it.</exception>
    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        }
        ModelProto proto;
        try
        {
            using FileStream stream = File.OpenRead(path);
            proto = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{path}' is not an ONNX model (protobuf parse failed: {e.Message}).", e);
        }
        if (proto.Graph is null || proto.OpsetImport.Count == 0)
        {
            throw new InvalidDataException($"'{path}' is not an ONNX model: it has no {(proto.Graph is null ? "graph" : "operator set import")}.");
        }
        return new OnnxModel(proto, path);
    }

    /// <summary>Whether <paramref name="node"/> is a standard ONNX operator (not a vendor domain such as com.microsoft).</summary>
    public static bool IsDefaultDomain(NodeProto node) => node.Domain.Length == 0 || node.Domain == DefaultDomain;

    /// <summary>The position of <paramref name="node"/> in <see cref="Nodes"/>.</summary>
    public int IndexOf(NodeProto node) => _nodeIndex[node];

    /// <summary>The initializer called <paramref name="name"/>, if any (not followed through <c>Identity</c>).</summary>
    public bool TryGetInitializer(string name, out TensorProto tensor) => _initializers.TryGetValue(name, out tensor!);

    /// <summary>
    /// The constant tensor behind the value <paramref name="name"/>: an initializer or the output of a
    /// <c>Constant</c> node, followed through <c>Identity</c> nodes.
    /// </summary>
    public bool TryGetConstant(string name, out TensorProto tensor)
    {
        string resolved = ResolveIdentity(name);
        return _initializers.TryGetValue(resolved, out tensor!) || _constants.TryGetValue(resolved, out tensor!);
    }

    /// <summary>The value <paramref name="name"/> copies when it is the output of a chain of <c>Identity</c> nodes; else itself.</summary>
    public string ResolveIdentity(string name)
    {
        for (int hops = 0; hops < 64 && _producers.TryGetValue(name, out NodeProto? node) && node.OpType == "Identity" && IsDefaultDomain(node); hops++)
        {
            name = node.Input[0];
        }
        return name;
    }

    /// <summary>The node whose output is <paramref name="value"/>, or null for graph inputs, initializers and unknown names.</summary>
    public NodeProto? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>The nodes reading <paramref name="value"/>, in graph order; values read through <c>Identity</c> nodes are included.</summary>
    public IReadOnlyList<NodeProto> Consumers(string value)
    {
        if (!_consumers.TryGetValue(value, out List<NodeProto>? direct))
        {
            return Array.Empty<NodeProto>();
        }
        if (!direct.Any(n => n.OpType == "Identity"))
        {
            return direct;
        }
        var all = new List<NodeProto>();
        foreach (NodeProto node in direct)
        {
            if (node.OpType == "Identity" && IsDefaultDomain(node))
            {
                all.AddRange(Consumers(node.Output[0]));
            }
            else
            {
                all.Add(node);
            }
        }
        return all;
    }

    /// <summary>Reads the constant <paramref name="name"/> (see <see cref="TryGetConstant"/>) as a new tensor of its stored type.</summary>
    /// <exception cref="KeyNotFoundException">No such constant; the message names it and the model.</exception>
    public Tensor ReadTensor(string name)
    {
        if (!TryGetConstant(name, out TensorProto proto))
        {
            throw new KeyNotFoundException($"ONNX model '{Source}' has no initializer or constant '{name}'.");
        }
        return OnnxTensorReader.Read(proto, name, Source);
    }

    /// <summary>The integer values of the constant <paramref name="name"/>, or null when it is not a constant integer tensor.</summary>
    public long[]? TryReadInt64s(string name)
    {
        if (!TryGetConstant(name, out TensorProto proto) || !OnnxTensorReader.IsInteger(proto))
        {
            return null;
        }
        using var scope = NewDisposeScope();
        using Tensor values = OnnxTensorReader.Read(proto, name, Source).to_type(ScalarType.Int64).reshape(-1);
        return values.data<long>().ToArray();
    }

    /// <summary>The floating-point values of the constant <paramref name="name"/>, or null when it is not a constant floating-point tensor.</summary>
    public double[]? TryReadDoubles(string name)
    {
        if (!TryGetConstant(name, out TensorProto proto) || !OnnxTensorReader.IsFloatingPoint(proto))
        {
            return null;
        }
        using var scope = NewDisposeScope();
        using Tensor values = OnnxTensorReader.Read(proto, name, Source).to_type(ScalarType.Float64).reshape(-1);
        return values.data<double>().ToArray();
    }

    /// <summary>The shape stored for the constant <paramref name="name"/>, or null when it is not a constant.</summary>
    public long[]? TryGetConstantShape(string name) => TryGetConstant(name, out TensorProto proto) ? proto.Dims.ToArray() : null;

    /// <summary>Writes the model (after edits to <see cref="Proto"/>) to <paramref name="path"/>.</summary>
    public static void Save(ModelProto proto, string path)
    {
        using FileStream stream = File.Create(path);
        proto.WriteTo(stream);
    }
}

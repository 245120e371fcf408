using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Onnx.Protos;

namespace Microsoft.ML.Trainers.Torch.Onnx;

/// <summary>Reads a node's attributes by name, with the operator's default when absent.</summary>
internal static class OnnxAttributes
{
    /// <summary>The integer attribute <paramref name="name"/>, or <paramref name="defaultValue"/>.</summary>
    public static long GetInt(this NodeProto node, string name, long defaultValue) =>
        Find(node, name) is { } a ? a.I : defaultValue;

    /// <summary>The float attribute <paramref name="name"/>, or <paramref name="defaultValue"/>.</summary>
    public static float GetFloat(this NodeProto node, string name, float defaultValue) =>
        Find(node, name) is { } a ? a.F : defaultValue;

    /// <summary>The string attribute <paramref name="name"/> (UTF-8), or <paramref name="defaultValue"/>.</summary>
    public static string GetString(this NodeProto node, string name, string defaultValue) =>
        Find(node, name) is { } a ? a.S.ToStringUtf8() : defaultValue;

    /// <summary>The integer-list attribute <paramref name="name"/>, or null.</summary>
    public static IReadOnlyList<long>? GetInts(this NodeProto node, string name) =>
        Find(node, name) is { } a ? a.Ints.ToArray() : null;

    /// <summary>A short description of a node for error messages: its name (when it has one), operator and inputs.</summary>
    public static string Describe(this NodeProto node) =>
        $"{(node.Name.Length > 0 ? $"'{node.Name}' " : "")}({node.OpType}{(OnnxModel.IsDefaultDomain(node) ? "" : $" in domain {node.Domain}")} of {string.Join(", ", node.Input)})";

    private static AttributeProto? Find(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);
}

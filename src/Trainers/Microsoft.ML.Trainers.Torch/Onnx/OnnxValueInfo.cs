using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Trainers.Torch.Onnx.Protos;

namespace Microsoft.ML.Trainers.Torch.Onnx;

/// <summary>A graph input or output: its name, element type and dimensions (null for a symbolic or unknown dimension).</summary>
/// <param name="Name">The value's name.</param>
/// <param name="ElementType">The ONNX element type (<see cref="TensorProto.Types.DataType"/>), or UNDEFINED when not a tensor.</param>
/// <param name="Dimensions">Each dimension's size, or null where it is symbolic (e.g. "batch"); null when the shape is unknown.</param>
internal sealed record OnnxValueInfo(string Name, TensorProto.Types.DataType ElementType, IReadOnlyList<long?>? Dimensions)
{
    /// <summary>Reads a protobuf value description.</summary>
    public static OnnxValueInfo From(ValueInfoProto info)
    {
        TypeProto.Types.Tensor? tensor = info.Type?.TensorType;
        var type = tensor is null ? TensorProto.Types.DataType.Undefined : (TensorProto.Types.DataType)tensor.ElemType;
        IReadOnlyList<long?>? dims = tensor?.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue : (long?)null).ToArray();
        return new OnnxValueInfo(info.Name, type, dims);
    }
}

using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>One tensor's entry in a safetensors header: name, element type, shape and where its bytes are.</summary>
public sealed class SafetensorsTensorInfo
{
    internal SafetensorsTensorInfo(string name, SafetensorsDType dtype, long[] shape, long dataOffset, long byteLength)
    {
        Name = name;
        DType = dtype;
        ShapeArray = shape;
        DataOffset = dataOffset;
        ByteLength = byteLength;
    }

    /// <summary>The tensor's name (for a PyTorch state dict, its key, such as <c>layer1.0.conv1.weight</c>).</summary>
    public string Name { get; }

    /// <summary>The element type the bytes are stored in.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The shape; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape => ShapeArray;

    /// <summary>Offset of the first byte from the start of the data section (after the header).</summary>
    public long DataOffset { get; }

    /// <summary>Number of bytes the tensor occupies.</summary>
    public long ByteLength { get; }

    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => ShapeArray.Aggregate(1L, (a, b) => a * b);

    internal long[] ShapeArray { get; }

    /// <summary>Formats a shape the way error messages show it, for example <c>[64, 3, 7, 7]</c>.</summary>
    public static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {SafetensorsDTypes.ToHeaderName(DType)} {FormatShape(ShapeArray)}";
}

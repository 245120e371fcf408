namespace Microsoft.ML.Trainers.Torch;

/// <summary>
/// The element types of the safetensors format that this library reads and writes
/// (the <c>dtype</c> field of a tensor's header entry).
/// </summary>
public enum SafetensorsDType
{
    /// <summary>IEEE 754 double precision (<c>F64</c>).</summary>
    F64,

    /// <summary>IEEE 754 single precision (<c>F32</c>).</summary>
    F32,

    /// <summary>IEEE 754 half precision (<c>F16</c>).</summary>
    F16,

    /// <summary>bfloat16: the upper 16 bits of a single-precision float (<c>BF16</c>).</summary>
    BF16,

    /// <summary>Signed 64-bit integer (<c>I64</c>).</summary>
    I64,

    /// <summary>Signed 32-bit integer (<c>I32</c>).</summary>
    I32,

    /// <summary>Signed 16-bit integer (<c>I16</c>).</summary>
    I16,

    /// <summary>Signed 8-bit integer (<c>I8</c>).</summary>
    I8,

    /// <summary>Unsigned 8-bit integer (<c>U8</c>).</summary>
    U8,

    /// <summary>Boolean stored as one byte, 0 or 1 (<c>BOOL</c>).</summary>
    Bool,
}

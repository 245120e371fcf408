using System;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Trainers.Torch.Images;

/// <summary>Recognises the column types an image column may have, with errors that name the column.</summary>
internal static class ImageColumnTypes
{
    public static ImageColumnKind Detect(DataViewSchema schema, string column)
    {
        DataViewSchema.Column col = schema.GetColumnOrNull(column)
            ?? throw new ArgumentException($"Image column '{column}' was not found in the data.");
        return Detect(col.Type, column)
            ?? throw WrongType(column, col.Type.ToString() ?? "");
    }

    public static ImageColumnKind Detect(SchemaShape schema, string column)
    {
        if (schema.Find(column) is not SchemaShape.Column col)
        {
            throw new ArgumentException($"Image column '{column}' was not found in the data.");
        }
        if (col.ItemType is ImageDataViewType && col.Kind == SchemaShape.Column.VectorKind.Scalar)
        {
            return ImageColumnKind.MLImage;
        }
        if (col.ItemType is TextDataViewType && col.Kind == SchemaShape.Column.VectorKind.Scalar)
        {
            return ImageColumnKind.ImagePath;
        }
        if (col.Kind != SchemaShape.Column.VectorKind.Scalar && !col.IsKey)
        {
            if (col.ItemType == NumberDataViewType.Byte)
            {
                return ImageColumnKind.EncodedBytes;
            }
            if (col.ItemType == NumberDataViewType.Single)
            {
                return ImageColumnKind.FloatVector;
            }
        }
        throw WrongType(column, $"{col.Kind} of {col.ItemType}");
    }

    public static ImageColumnKind? Detect(DataViewType type, string column) => type switch
    {
        ImageDataViewType => ImageColumnKind.MLImage,
        TextDataViewType => ImageColumnKind.ImagePath,
        VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Byte => ImageColumnKind.EncodedBytes,
        VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Single => ImageColumnKind.FloatVector,
        _ => null,
    };

    /// <summary>Checks the column has <paramref name="kind"/>'s type and, for float vectors, <paramref name="pixelCount"/> values.</summary>
    public static void Check(DataViewSchema schema, string column, ImageColumnKind kind, int pixelCount)
    {
        ImageColumnKind actual = Detect(schema, column);
        if (actual != kind)
        {
            throw new ArgumentException($"Image column '{column}' holds {actual} values but the model was trained on {kind}.");
        }
        if (kind == ImageColumnKind.FloatVector && schema[column].Type is VectorDataViewType { Size: > 0 } v && v.Size != pixelCount)
        {
            throw new ArgumentException($"Image column '{column}' is a vector of {v.Size} floats; the model expects {pixelCount}.");
        }
    }

    private static ArgumentException WrongType(string column, string actual)
        => new($"Image column '{column}' must hold MLImage values (mlContext.Transforms.LoadImages), encoded image bytes (vector of Byte) " +
               $"pixel values (vector of Single) or image file paths (Text); it holds {actual}.");
}

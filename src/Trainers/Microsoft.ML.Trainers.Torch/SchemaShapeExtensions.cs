using System.Linq;

namespace Microsoft.ML.Trainers.Torch;

/// <summary>Column lookup on a <see cref="SchemaShape"/> through its public surface.</summary>
internal static class SchemaShapeExtensions
{
    public static SchemaShape.Column? Find(this SchemaShape shape, string name)
    {
        foreach (SchemaShape.Column column in shape.Reverse())
        {
            if (column.Name == name)
            {
                return column;
            }
        }
        return null;
    }
}

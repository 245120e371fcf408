using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.Torch.Images;

namespace Microsoft.ML;

/// <summary>Adds <see cref="LoadFromImageFolder"/> to <c>mlContext.Data</c>.</summary>
public static class ImageFolderCatalog
{
    /// <summary>
    /// Loads a folder with one subfolder per class (torchvision's <c>ImageFolder</c> convention) as an <see cref="IDataView"/>
    /// of two text columns: the image file's full path and its class (the subfolder's name). Rows are ordered by class name,
    /// then path, so <c>MapValueToKey</c> numbers the classes in name order as torchvision does. Nothing is decoded here:
    /// follow with <c>mlContext.Transforms.LoadRawImageBytes</c> (or <c>LoadImages</c>) on the path column.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="folder">The folder whose subfolders are the classes.</param>
    /// <param name="pathColumnName">The column of image paths.</param>
    /// <param name="labelColumnName">The column of class names.</param>
    /// <param name="checkFiles">Open each image file and check its format signature now, so a bad file is named before training.</param>
    /// <exception cref="System.IO.DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="System.IO.InvalidDataException">No classes, an empty class, or an unreadable file; the message names it.</exception>
    public static IDataView LoadFromImageFolder(this DataOperationsCatalog catalog, string folder,
        string pathColumnName = "ImagePath", string labelColumnName = "Label", bool checkFiles = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentException.ThrowIfNullOrWhiteSpace(pathColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        if (pathColumnName == labelColumnName)
        {
            throw new ArgumentException($"The path and label columns need different names (both were '{pathColumnName}').", nameof(labelColumnName));
        }
        var rows = ImageFolder.List(folder, checkFiles).Select(r => new ImageFolderRow { ImagePath = r.Path, Label = r.Label });
        SchemaDefinition schema = SchemaDefinition.Create(typeof(ImageFolderRow));
        schema[nameof(ImageFolderRow.ImagePath)].ColumnName = pathColumnName;
        schema[nameof(ImageFolderRow.Label)].ColumnName = labelColumnName;
        return catalog.LoadFromEnumerable(rows.ToArray(), schema);
    }

    private sealed class ImageFolderRow
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}

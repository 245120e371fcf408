using System;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Rewrites one entry of a zip (a saved model) in place, for tests that damage or downgrade a saved file.</summary>
public static class ZipEntryRewrite
{
    /// <summary>Replaces the bytes of the single entry named <paramref name="entryName"/> (any folder) with <paramref name="change"/>'s result.</summary>
    public static void Rewrite(string zipPath, string entryName, Func<byte[], byte[]> change)
    {
        using ZipArchive zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        ZipArchiveEntry entry = zip.Entries.Single(e => e.Name == entryName);
        byte[] bytes;
        using (var read = new MemoryStream())
        {
            using (Stream s = entry.Open())
            {
                s.CopyTo(read);
            }
            bytes = read.ToArray();
        }
        string name = entry.FullName;
        entry.Delete();
        using Stream write = zip.CreateEntry(name).Open();
        write.Write(change(bytes));
    }
}

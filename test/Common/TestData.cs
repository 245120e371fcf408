using System;
using System.IO;
using System.Linq;
using System.Reflection;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Locates test data: the golden reference folder and the repository's test data.</summary>
public static class TestData
{
    /// <summary>
    /// The golden reference folder: <c>GOLDEN_DIR</c> when set, else the copy under test/TestData.
    /// Fails loudly when the folder is missing.
    /// </summary>
    public static string GoldenDir
    {
        get
        {
            string? fromEnv = Environment.GetEnvironmentVariable("GOLDEN_DIR");
            string dir = string.IsNullOrEmpty(fromEnv) ? Path.Combine(Root, "golden") : fromEnv;
            if (!Directory.Exists(dir))
            {
                throw new DirectoryNotFoundException($"Golden data folder '{dir}' does not exist (GOLDEN_DIR='{fromEnv}').");
            }
            return dir;
        }
    }

    /// <summary>A file under the golden folder; throws when it is missing.</summary>
    public static string Golden(params string[] relative)
    {
        string path = Path.Combine(GoldenDir, Path.Combine(relative));
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException($"Golden data '{path}' is missing.", path);
        }
        return path;
    }

    /// <summary>The repository's test/TestData folder (recorded at build time).</summary>
    public static string Root =>
        typeof(TestData).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "TestDataRoot").Value!;

    /// <summary>A fresh, empty temporary folder for one test.</summary>
    public static string NewTempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mlext-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

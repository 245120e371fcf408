namespace Samples.Support;

/// <summary>The three kinds of message in the SpamAssassin public corpus.</summary>
public enum SpamAssassinCategory
{
    /// <summary>Ham that is easy to tell from spam (groups <c>easy-ham-1</c>, <c>easy-ham-2</c>).</summary>
    EasyHam,

    /// <summary>Ham that looks like spam (group <c>hard-ham-1</c>).</summary>
    HardHam,

    /// <summary>Spam (groups <c>spam-1</c>, <c>spam-2</c>).</summary>
    Spam,
}

using System;
using System.IO;

namespace Samples.Support;

/// <summary>One message of the SpamAssassin public corpus.</summary>
public sealed class SpamAssassinEmail
{
    /// <summary>Creates a message record.</summary>
    /// <param name="group">The corpus group, such as <c>spam-2</c>.</param>
    /// <param name="id">The message id within its group.</param>
    /// <param name="text">The message text (raw e-mail with headers in the corpus; stripped text in a subset file).</param>
    public SpamAssassinEmail(string group, string id, string text)
    {
        Group = group;
        Id = id;
        Text = text;
        Category = CategoryOf(group);
    }

    /// <summary>The corpus group (<c>easy-ham-1</c>, <c>easy-ham-2</c>, <c>hard-ham-1</c>, <c>spam-1</c>, <c>spam-2</c>).</summary>
    public string Group { get; }

    /// <summary>The message id within its group.</summary>
    public string Id { get; }

    /// <summary>The message text.</summary>
    public string Text { get; }

    /// <summary>Easy ham, hard ham or spam, from the group.</summary>
    public SpamAssassinCategory Category { get; }

    /// <summary>Whether the message is spam.</summary>
    public bool IsSpam => Category == SpamAssassinCategory.Spam;

    /// <summary>
    /// The class label: <c>ham</c>/<c>spam</c> for 2 classes, <c>easy_ham</c>/<c>hard_ham</c>/<c>spam</c> for 3.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not 2 or 3.</exception>
    public string Label(int classes) => classes switch
    {
        2 => IsSpam ? "spam" : "ham",
        3 => Category switch
        {
            SpamAssassinCategory.EasyHam => "easy_ham",
            SpamAssassinCategory.HardHam => "hard_ham",
            _ => "spam",
        },
        _ => throw new ArgumentOutOfRangeException(nameof(classes), $"classes must be 2 or 3 (was {classes})."),
    };

    /// <summary>The category of a corpus group name.</summary>
    /// <exception cref="InvalidDataException">The group is not one of the corpus's groups.</exception>
    public static SpamAssassinCategory CategoryOf(string group) =>
        group.StartsWith("easy-ham", StringComparison.Ordinal) ? SpamAssassinCategory.EasyHam
        : group.StartsWith("hard-ham", StringComparison.Ordinal) ? SpamAssassinCategory.HardHam
        : group.StartsWith("spam", StringComparison.Ordinal) ? SpamAssassinCategory.Spam
        : throw new InvalidDataException($"'{group}' is not a SpamAssassin corpus group (easy-ham-*, hard-ham-*, spam-*).");
}

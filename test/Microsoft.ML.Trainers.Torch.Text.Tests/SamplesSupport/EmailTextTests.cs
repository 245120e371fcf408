using Microsoft.VisualStudio.TestTools.UnitTesting;
using Samples.Support;

namespace Microsoft.ML.Extensions.Tests;

/// <summary>Raw e-mail → subject and body text.</summary>
[TestClass]
public sealed class EmailTextTests
{
    [TestMethod]
    public void HeadersAreStrippedAndSubjectKept()
    {
        string raw = "From someone@example.com  Thu Aug 22 13:17:22 2002\nReturn-Path: <a@b.c>\nReceived: from x\n\tby y\nSubject: Hello there\nTo: me\n\nBody line one.\nBody line two.\n";
        Assert.AreEqual("Hello there\n\nBody line one.\nBody line two.", EmailText.ToSubjectAndBody(raw));
    }

    [TestMethod]
    public void SenderIsTheFirstFromMailboxWithItsEncodedNameDecoded()
    {
        string raw = "From someone@example.com  Thu Aug 22 13:17:22 2002\nReturn-Path: <a@b.c>\nFrom: =?iso-8859-1?Q?Ren=E9?= Dupont\n <rene@example.fr>, other@example.com\nSubject: s\n\nFrom: not@a.header\n";
        Assert.AreEqual("From: René Dupont <rene@example.fr>", EmailText.Sender(raw));
    }

    [TestMethod]
    public void NoSenderGivesAnEmptyString()
    {
        Assert.AreEqual("", EmailText.Sender("Subject: s\n\nFrom: not@a.header\n"));
        Assert.AreEqual("", EmailText.Sender("just a body"));
        Assert.AreEqual("", EmailText.Sender(null));
    }

    [TestMethod]
    public void FoldedAndEncodedSubjectIsDecoded()
    {
        string raw = "Subject: =?iso-8859-1?Q?Caf=E9_au?=\n =?utf-8?B?bGFpdA==?= today\n\nx";
        Assert.AreEqual("Café aulait today\n\nx", EmailText.ToSubjectAndBody(raw));
    }

    [TestMethod]
    public void QuotedPrintableBodyIsDecodedWithItsCharset()
    {
        string raw = "Subject: s\nContent-Type: text/plain; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\nna=EFve soft=\nbreak 3D=3D";
        Assert.AreEqual("s\n\nnaïve softbreak 3D=", EmailText.ToSubjectAndBody(raw));
    }

    [TestMethod]
    public void Base64BodyIsDecoded()
    {
        string raw = "Subject: s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSGVsbG8g\nd29ybGQh\n";
        Assert.AreEqual("s\n\nHello world!", EmailText.ToSubjectAndBody(raw));
    }

    [TestMethod]
    public void HtmlBecomesTextWithLinkTargets()
    {
        string raw = "Subject: Offer\nContent-Type: text/html\n\n<html><head><title>t</title><style>p{color:red}</style></head><body><p>Click <a href=\"http://x.example/buy\">here</a> &amp; save&nbsp;now</p><!-- hidden --><script>alert(1)</script></body></html>";
        Assert.AreEqual("Offer\n\nClick http://x.example/buy here & save now", EmailText.ToSubjectAndBody(raw));
    }

    [TestMethod]
    public void MultipartAlternativePrefersPlainText()
    {
        string raw = "Subject: Alt\nContent-Type: multipart/alternative; boundary=\"b1\"\n\npreamble\n--b1\nContent-Type: text/plain\n\nplain version\n--b1\nContent-Type: text/html\n\n<p>html version</p>\n--b1--\nepilogue";
        Assert.AreEqual("Alt\n\nplain version", EmailText.ToSubjectAndBody(raw));
    }

    [TestMethod]
    public void MultipartMixedKeepsTextPartsAndSkipsBinaryAttachments()
    {
        string raw = "Subject: Mixed\nContent-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\nContent-Type: text/html\n\n<b>first</b>\n--inner--\n--outer\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--outer\nContent-Type: text/plain\n\nsecond\n--outer--\n";
        Assert.AreEqual("Mixed\n\nfirst\n\nsecond", EmailText.ToSubjectAndBody(raw));
    }

    [TestMethod]
    public void MessageWithoutHeadersIsAllBody()
    {
        Assert.AreEqual("just some text", EmailText.ToSubjectAndBody("just some text"));
        Assert.AreEqual("", EmailText.ToSubjectAndBody(null));
        Assert.AreEqual("", EmailText.ToSubjectAndBody(""));
    }

    [TestMethod]
    public void WhitespaceIsCollapsed()
    {
        Assert.AreEqual("s\n\na b\n\nc", EmailText.ToSubjectAndBody("Subject:  s \r\n\r\na \t  b\r\n\r\n\r\n\r\nc  \r\n"));
    }

    [TestMethod]
    public void LegacyCharsetsAreDecoded()
    {
        // A subject from the corpus (hard-ham-1/00039), ISO-2022-JP in two encoded words, and a windows-1252 base64 body.
        string raw = "Subject: =?iso-2022-jp?B?GyRCRnxLXDhsJE43b0w+IUolNSVWJTglJyUvJUghSyEhJTkbKEI=?=\n\t=?iso-2022-jp?B?GyRCJVElYCVhITwlayRHJE8kIiRqJF4kOyRzISobKEI=?=\n"
            + "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: base64\n\nR3L832U=\n";
        Assert.AreEqual("日本語の件名（サブジェクト）　スパムメールではありません！\n\nGrüße", EmailText.ToSubjectAndBody(raw));
    }

    [TestMethod]
    public void HtmlIsTextAsABrowserShowsIt()
    {
        // Tags inside a word do not split it (a spam trick), numeric references map as in HTML5 (&#149; is a bullet),
        // a link target with spaces is kept whole, and iframe fallback content is not shown.
        string raw = "Subject: s\nContent-Type: text/html\n\n<p>Med<font>ic</font>ine<!-- x -->s!</p><p>&#149; <a href=\"mailto:a@b.c?subject=More info\">Click</a></p>"
            + "<iframe src=\"http://ads.example/\"><script src=\"http://ads.example/x.js\"></script></iframe><table><tr><td>a</td><td>b</td></tr></table>";
        Assert.AreEqual("s\n\nMedicines!\n\n• mailto:a@b.c?subject=More info Click\n\na b", EmailText.ToSubjectAndBody(raw));
    }
}

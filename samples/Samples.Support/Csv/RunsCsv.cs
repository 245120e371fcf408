using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CsvHelper;
using CsvHelper.Configuration;

namespace Samples.Support;

/// <summary>
/// The samples' CSV files of measured runs, read and written with CsvHelper: a fixed header, one run per line,
/// numbers in the invariant culture (doubles round-trip), Unix line ends.
/// </summary>
public static class RunsCsv
{
    private static readonly CsvConfiguration s_configuration = new(CultureInfo.InvariantCulture) { NewLine = "\n" };

    /// <summary>Writes <paramref name="header"/>, then each run's <paramref name="fields"/> (in the header's order).</summary>
    public static void Write<T>(string path, IReadOnlyList<string> header, IEnumerable<T> runs, Func<T, object[]> fields)
    {
        using var writer = new StreamWriter(path);
        using var csv = new CsvWriter(writer, s_configuration);
        foreach (string column in header)
        {
            csv.WriteField(column);
        }
        csv.NextRecord();
        foreach (T run in runs)
        {
            foreach (object field in fields(run))
            {
                csv.WriteField(field);
            }
            csv.NextRecord();
        }
    }

    /// <summary>
    /// Reads a file written by <see cref="Write{T}"/>, parsing each line with <paramref name="parse"/> (fields by column
    /// name); a wrong header or a malformed line fails naming the file and line.
    /// </summary>
    public static IReadOnlyList<T> Read<T>(string path, IReadOnlyList<string> header, Func<IReaderRow, T> parse)
    {
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, s_configuration);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is null || !csv.HeaderRecord.SequenceEqual(header))
        {
            throw new InvalidDataException($"'{path}' does not start with the header '{string.Join(",", header)}'.");
        }
        var runs = new List<T>();
        while (csv.Read())
        {
            try
            {
                runs.Add(parse(csv));
            }
            catch (Exception ex) when (ex is CsvHelperException or FormatException)
            {
                string problem = ex is CsvHelper.TypeConversion.TypeConverterException conversion ? $"cannot read '{conversion.Text}'" : ex.Message;
                throw new InvalidDataException($"'{path}' line {csv.Parser.RawRow}: {problem}.", ex);
            }
        }
        return runs;
    }
}

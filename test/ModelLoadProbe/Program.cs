// Usage: ModelLoadProbe <model.zip> <data.idv> <output.tsv> [scoreColumn] [predictedLabelColumn]
// Loads the model with a fresh MLContext, scores the ML.NET binary data file, and writes one line per row:
// "<PredictedLabel key>\t<score 0> <score 1> ..." with round-trip float formatting, so a test can compare exactly.
using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length < 3)
{
    Console.Error.WriteLine("Usage: ModelLoadProbe <model.zip> <data.idv> <output.tsv> [scoreColumn] [predictedLabelColumn]");
    return 2;
}
string scoreColumn = args.Length > 3 ? args[3] : "Score";
string predictedColumn = args.Length > 4 ? args[4] : "PredictedLabel";

// Referencing the trainer assemblies is not enough: .NET loads an assembly only when one of its types is touched,
// and ML.NET looks for loadable classes in loaded assemblies. Load every trainer assembly shipped next to the probe.
foreach (string path in Directory.GetFiles(AppContext.BaseDirectory, "Microsoft.ML.Trainers.Torch*.dll"))
{
    AssemblyLoadContext.Default.LoadFromAssemblyName(AssemblyName.GetAssemblyName(path));
}

var ml = new MLContext(seed: 12345);
ITransformer model = ml.Model.Load(args[0], out _);
IDataView scored = model.Transform(ml.Data.LoadFromBinary(args[1]));
float[][] scores = scored.GetColumn<float[]>(scoreColumn).ToArray();
uint[] predicted = scored.GetColumn<uint>(predictedColumn).ToArray();
using var writer = new StreamWriter(args[2]);
for (int i = 0; i < scores.Length; i++)
{
    writer.Write(predicted[i].ToString(CultureInfo.InvariantCulture));
    writer.Write('\t');
    writer.WriteLine(string.Join(' ', scores[i].Select(s => s.ToString("R", CultureInfo.InvariantCulture))));
}
Console.WriteLine($"{scores.Length} rows scored");
return 0;

// The package consumer: what a .NET developer's app does with the packages, in three commands.
//   train <testData> <workDir>  trains an image and a text classifier, saves both with mlContext.Model.Save,
//                               saves the test rows and the in-process scores
//   score <workDir>             (a fresh process) loads both models, scores the saved rows, compares the scores exactly
//   no-backend                  (built without a TorchSharp backend) expects the one clear "add a backend" error
// Each prints one "PASS ..." or "FAIL ..." line per check and exits non-zero on any failure.
using System;
using System.IO;
using Microsoft.ML.PackageConsumer;

string command = args.Length > 0 ? args[0] : "";
try
{
    return command switch
    {
        "train" when args.Length == 3 => ConsumerChecks.Train(args[1], args[2]),
        "score" when args.Length == 2 => ConsumerChecks.ScoreInFreshProcess(args[1]),
        "no-backend" when args.Length == 1 => ConsumerChecks.MissingBackendError(),
        _ => Usage(),
    };
}
catch (Exception e)
{
    Console.WriteLine($"FAIL {command}: {e}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("Usage: PackageConsumer train <testData> <workDir> | score <workDir> | no-backend");
    return 2;
}

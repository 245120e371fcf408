using Microsoft.VisualStudio.TestTools.UnitTesting;

// Tests train real models on a 2-core machine; running them one at a time keeps timings and memory sane.
[assembly: DoNotParallelize]

using Microsoft.ML.Optimizers;
using Microsoft.ML.Trainers.Torch.Images;
using TorchSharp;
using static TorchSharp.torch;
random.manual_seed(3);
var cfg = ResNetConfig.FromArchitecture(Enum.Parse<ResNetArchitecture>(args[0]), 10, 1, int.Parse(args[1]));
using var net = new ResNet(cfg);
var x = randn(32, 1, 28, 28); var y = randint(0, 10, new long[]{32});
Console.WriteLine($"fwd: {net.forward(x).abs().max().item<float>()}");
OptimizerOptions o = args[2] == "sgd" ? new SgdOptions{LearningRate=0.05, Momentum=0.9, Nesterov=true, WeightDecay=5e-4, UseFusedKernels = Environment.GetEnvironmentVariable("FUSED") != "0"} : new AdamWOptions();
using var opt = args.Length > 3 ? o.Create(args[3] == "two" ? new[]{ new ParameterGroup(net.parameters().Take(5)), new ParameterGroup(net.parameters().Skip(5)) } : args[3]=="rev" ? new[]{ new ParameterGroup(net.parameters().Reverse()) } : ParameterGroup.SplitNoDecay(net.named_parameters().Select(p => (p.name, p.parameter)))) : o.Create(net.parameters());
var sched = args.Length > 4 ? new OneCycleSchedule{MaxLearningRate=0.05}.Create(opt, 100) : null;
for (int i=0;i<5;i++){ using var s = NewDisposeScope(); opt.ZeroGrad(); var loss = nn.functional.cross_entropy(net.forward(x), y); loss.backward();
  double gn = 0; if (i==0) foreach (var (n,p) in net.named_parameters()) if (p.grad is not null && p.grad.isnan().any().item<bool>()) Console.WriteLine($"NaN grad {n} {string.Join(",",p.shape)}"); foreach (var p in net.parameters()) if (p.grad is not null) gn += p.grad.pow(2).sum().item<float>();
  opt.Step(); sched?.Step(); Console.WriteLine($"step {i} loss {loss.item<float>()} gradnorm^2 {gn} pmax {net.parameters().Max(p=>p.abs().max().item<float>())}"); }

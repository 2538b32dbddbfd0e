using TorchSharp;
torch.manual_seed(0);
var r = torch.nn.RNN(5, 6, 2);
var (o, h) = r.call(torch.randn(1, 3, 5));
System.Console.WriteLine(o.ToString(TorchSharp.TensorStringStyle.Numpy));

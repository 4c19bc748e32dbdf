using System.Diagnostics;
using LossLandscape.Data;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Modules;

namespace LossLandscape.Bench;

/// <summary>
/// The data layer's speed targets: (1) reading Fashion-MNIST's gzipped training set takes at most 1.5 s;
/// (2) shift + flip + normalize of a 128 x 3 x 32 x 32 batch costs at most 5% of one SGD step of a small ResNet
/// with BatchNorm on the same device. Usage: <c>data [--device cpu|cuda] [--repeats N]</c>.
/// </summary>
internal static class DataBench
{
    public static int Run(string[] args)
    {
        string deviceName = Arg(args, "--device") ?? "cpu";
        int repeats = int.Parse(Arg(args, "--repeats") ?? "10", System.Globalization.CultureInfo.InvariantCulture);
        var device = deviceName == "cpu" ? CPU : new Device(deviceName);
        Console.WriteLine($"device: {device}, threads: {get_num_threads()}, repeats: {repeats} (median)");

        // 1. Reading Fashion-MNIST's training set (60k gzipped images + labels).
        const string folder = "/usr/share/datasets/fashion-mnist";
        if (File.Exists(Path.Combine(folder, "train-images-idx3-ubyte.gz")))
        {
            using (IdxReader.Read(Path.Combine(folder, "train-images-idx3-ubyte.gz"), Path.Combine(folder, "train-labels-idx1-ubyte.gz"), "warm-up", DataCatalog.FashionMnistClassNames)) { }
            var read = Median(Math.Max(3, repeats / 2), () =>
            {
                using var ds = IdxReader.Read(Path.Combine(folder, "train-images-idx3-ubyte.gz"), Path.Combine(folder, "train-labels-idx1-ubyte.gz"), "fashion-mnist/train", DataCatalog.FashionMnistClassNames);
                if (ds.Count != 60000) throw new InvalidOperationException("expected 60000 images");
            });
            var gunzip = Median(Math.Max(3, repeats / 2), () =>
            {
                using var fs = File.OpenRead(Path.Combine(folder, "train-images-idx3-ubyte.gz"));
                using var gz = new System.IO.Compression.GZipStream(fs, System.IO.Compression.CompressionMode.Decompress);
                gz.CopyTo(Stream.Null, 1 << 20);
            });
            var convert = Median(Math.Max(3, repeats / 2), () =>
            {
                using var b = empty(new long[] { 60000, 1, 28, 28 }, dtype: ScalarType.Byte);
                using var f = b.to(ScalarType.Float32).div_(255.0);
            });
            Console.WriteLine($"read fashion-mnist train (60000 x 28 x 28, gzipped): {read * 1000:F0} ms (target <= 1500 ms: {(read <= 1.5 ? "met" : "NOT met")}); " +
                $"of which gunzip alone (baseline, .NET GZipStream to a null stream) {gunzip * 1000:F0} ms, byte-to-float32 conversion {convert * 1000:F0} ms; ratio read / gunzip {read / gunzip:F2}");
        }
        else
        {
            Console.WriteLine($"read fashion-mnist train: skipped, {folder} is absent (apt-get install dataset-fashion-mnist)");
        }

        // 2. Augmentation vs one training step.
        manual_seed(0);
        using var x = rand(new long[] { 128, 3, 32, 32 }, device: device);
        using var y = randint(10, new long[] { 128 }, device: device);
        using var pre = new Preprocessor(Preprocessing.Standard, seed: 1, mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26]);
        using var model = new SmallResNet();
        model.to(device);
        model.train();
        var sgd = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
        void Sync() { if (device.type == DeviceType.CUDA) cuda.synchronize(device); }
        void Step()
        {
            using var scope = NewDisposeScope();
            sgd.zero_grad();
            var loss = functional.cross_entropy(model.forward(x), y);
            loss.backward();
            sgd.step();
            Sync();
        }
        void Augment()
        {
            using var scope = NewDisposeScope();
            _ = pre.Train(x);
            Sync();
        }
        for (int i = 0; i < 3; i++) { Step(); Augment(); }
        double step = Median(repeats, Step);
        double aug = Median(repeats * 3, Augment);
        Console.WriteLine($"train step, small ResNet with BatchNorm, batch 128 x 3 x 32 x 32: {step * 1000:F2} ms");
        Console.WriteLine($"shift + flip + normalize, same batch: {aug * 1000:F3} ms");
        Console.WriteLine($"ratio augmentation / train step: {aug / step * 100:F2}% (target <= 5%: {(aug / step <= 0.05 ? "met" : "NOT met")})");
        return 0;
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static double Median(int n, Action action)
    {
        var times = new double[n];
        for (int i = 0; i < n; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return times[n / 2];
    }

    /// <summary>A small ResNet for 32 x 32 inputs: a 3x3 stem of 16 channels, three residual stages of 16, 32, 64 channels (one basic block each, stride 1, 2, 2), global average pooling and a linear layer.</summary>
    private sealed class SmallResNet : Module<Tensor, Tensor>
    {
        private readonly Sequential _stem;
        private readonly ModuleList<Module<Tensor, Tensor>> _blocks;
        private readonly Linear _head;

        public SmallResNet() : base(nameof(SmallResNet))
        {
            _stem = Sequential(Conv2d(3, 16, 3, padding: 1, bias: false), BatchNorm2d(16), ReLU());
            _blocks = new ModuleList<Module<Tensor, Tensor>>(new Block(16, 16, 1), new Block(16, 32, 2), new Block(32, 64, 2));
            _head = Linear(64, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var h = _stem.forward(input);
            foreach (var b in _blocks) h = b.forward(h);
            return _head.forward(h.mean(new long[] { 2, 3 }));
        }
    }

    private sealed class Block : Module<Tensor, Tensor>
    {
        private readonly Conv2d _c1;
        private readonly BatchNorm2d _b1;
        private readonly Conv2d _c2;
        private readonly BatchNorm2d _b2;
        private readonly Sequential _skip;

        public Block(int cin, int cout, int stride) : base(nameof(Block))
        {
            _c1 = Conv2d(cin, cout, 3, stride: stride, padding: 1, bias: false);
            _b1 = BatchNorm2d(cout);
            _c2 = Conv2d(cout, cout, 3, padding: 1, bias: false);
            _b2 = BatchNorm2d(cout);
            _skip = stride == 1 && cin == cout ? Sequential() : Sequential(Conv2d(cin, cout, 1, stride: stride, bias: false), BatchNorm2d(cout));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var h = functional.relu(_b1.forward(_c1.forward(input)));
            h = _b2.forward(_c2.forward(h));
            return functional.relu(h.add(_skip.forward(input)));
        }
    }
}
